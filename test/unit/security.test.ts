import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { TenantRateLimiter } from '../../lambdas/api/rate-limit.js';
import type { Logger } from '../../lambdas/core/ports/logger.js';
import { REDACTED } from '../../lambdas/core/redaction.js';
import { EMPTY_ALLOWLIST } from '../../lambdas/core/ssrf.js';
import { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { apiHarness, apiOver } from '../support/api-harness.js';
import { MemoryTenantJobCounter } from '../support/memory-tenant-counters.js';
import { fakeDeps } from '../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const target = { url: 'https://example.com/hook' };
const daily = { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' };
const SECRET = 'Bearer sk_live_do-not-leak-1234';

/** A logger that keeps every line, to prove what never reaches the logs. */
function capturingLogger() {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  const log: Logger = { info: keep('info'), warn: keep('warn'), error: keep('error') };
  return { log, lines };
}

/** A POST /v1/jobs whose request has a body and no Content-Type header at all. */
async function apiHarnessWithoutContentType(h: ReturnType<typeof apiHarness>, body: string) {
  const api = apiOver(h.deps);
  const result = await api({
    version: '2.0',
    rawPath: '/v1/jobs',
    headers: {},
    requestContext: {
      http: { method: 'POST', path: '/v1/jobs' },
      authorizer: { lambda: { tenant: 'team-a' } },
    },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2);
  return { status: result.statusCode ?? 200 };
}

/** createApi over fake deps, with the options the harness does not expose. */
function customApi(f: ReturnType<typeof fakeDeps>, rateLimit?: TenantRateLimiter) {
  const api = apiOver(f.deps, rateLimit ? { rateLimit } : {});
  return async (method: string, path: string, tenant: string | null, body?: unknown) => {
    const event = {
      version: '2.0',
      rawPath: path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      requestContext: {
        http: { method, path },
        ...(tenant === null ? {} : { authorizer: { lambda: { tenant } } }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const result = await api(event);
    return {
      status: result.statusCode ?? 200,
      headers: (result.headers ?? {}) as Record<string, string>,
      body: result.body ? JSON.parse(result.body) : undefined,
    };
  };
}

describe('tenancy', () => {
  it('answers 404 for another tenant’s job and execution on every route, and changes nothing', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', { schedule: daily, target });
    const id = created.body.id as string;
    const triggered = await h.request('POST', `/v1/jobs/${id}/trigger`);
    const executionId = encodeURIComponent(triggered.body.executionId as string);
    const before = {
      jobs: structuredClone([...h.jobs.items]),
      runs: structuredClone([...h.executions.items]),
    };
    const sent = h.queue.sent.length;

    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/jobs/${id}`],
      ['PATCH', `/v1/jobs/${id}`, { name: 'stolen' }],
      ['DELETE', `/v1/jobs/${id}`],
      ['POST', `/v1/jobs/${id}/pause`],
      ['POST', `/v1/jobs/${id}/resume`],
      ['POST', `/v1/jobs/${id}/trigger`],
      ['GET', `/v1/jobs/${id}/executions`],
      ['GET', `/v1/executions/${executionId}`],
      ['POST', `/v1/executions/${executionId}/cancel`],
      ['POST', `/v1/dead-letters/${executionId}/replay`],
    ];
    for (const [method, path, body] of routes) {
      const res = await h.request(method, path, body, {}, 'team-b');
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await h.request('GET', '/v1/jobs', undefined, {}, 'team-b')).body.items).toEqual([]);
    expect((await h.request('GET', '/v1/dead-letters', undefined, {}, 'team-b')).body.items).toEqual([]);
    expect([...h.jobs.items]).toEqual(before.jobs);
    expect([...h.executions.items]).toEqual(before.runs);
    expect(h.queue.sent).toHaveLength(sent);
    // The owner still sees it all.
    expect((await h.request('GET', `/v1/jobs/${id}`)).status).toBe(200);
    expect((await h.request('GET', `/v1/executions/${executionId}`)).status).toBe(200);
  });

  it('answers 401 without an identity, and callbacks take the execution token, never the tenant', async () => {
    const f = fakeDeps(NOW);
    const call = customApi(f);
    expect((await call('GET', '/v1/jobs', null)).status).toBe(401);
    const created = await call('POST', '/v1/jobs', 'team-a', {
      schedule: { type: 'immediate' },
      target,
    });
    expect(created.status).toBe(201);
    const run = f.queue.take()[0]!;
    f.http.answer = () => ({ kind: 'response', statusCode: 202, body: '{"async":true}', durationMs: 1 });
    expect(await new ExecutorService(f.deps, 'exec-1').handle(run.message)).toBe('running');

    // The owning tenant's identity is not a callback credential.
    const path = `/v1/executions/${encodeURIComponent(run.message.executionId)}`;
    const beat = await call('POST', `${path}/heartbeat`, 'team-a');
    expect(beat.status).toBe(401);
    expect(beat.body.error.code).toBe('unauthorized');
    const done = await call('POST', `${path}/complete`, 'team-a', { status: 'succeeded' });
    expect(done.status).toBe(401);
    expect((await f.executions.getExecution(run.message.executionId))?.status).toBe('running');
  });
});

describe('credentials in job definitions', () => {
  const headers = { authorization: SECRET, 'x-api-key': 'k-123', cookie: 'sid=1', 'x-team': 'data' };

  it('stores them, sends them to the target, and shows them as *** in every response', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: { ...target, headers },
    });
    const id = created.body.id as string;
    const shown = { authorization: REDACTED, 'x-api-key': REDACTED, cookie: REDACTED, 'x-team': 'data' };
    expect(created.body.target.headers).toEqual(shown);
    expect((await h.request('GET', `/v1/jobs/${id}`)).body.target.headers).toEqual(shown);
    expect((await h.request('GET', '/v1/jobs')).body.items[0].target.headers).toEqual(shown);
    expect((await h.jobs.getJob(id))?.target).toMatchObject({ headers });

    const run = h.queue.take()[0]!;
    await new ExecutorService(h.deps, 'exec-1').handle(run.message);
    expect(h.http.requests[0]?.headers).toMatchObject(headers);
  });

  it('keeps a stored credential when a PATCH sends the read *** back, and replaces it when given a new one', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', { schedule: daily, target: { ...target, headers } });
    const id = created.body.id as string;

    const roundTrip = await h.request('PATCH', `/v1/jobs/${id}`, {
      target: { ...created.body.target, url: 'https://example.com/moved' },
    });
    expect(roundTrip.status).toBe(200);
    expect((await h.jobs.getJob(id))?.target).toMatchObject({ url: 'https://example.com/moved', headers });

    const rotated = await h.request('PATCH', `/v1/jobs/${id}`, {
      target: { ...created.body.target, headers: { ...created.body.target.headers, Authorization: 'new' } },
    });
    expect(rotated.status).toBe(200);
    const stored = ((await h.jobs.getJob(id))?.target as { headers?: Record<string, string> } | undefined)
      ?.headers;
    expect(stored).toMatchObject({ 'x-api-key': 'k-123', cookie: 'sid=1', Authorization: 'new' });
  });

  it('never writes them to the logs or into error bodies', async () => {
    const { log, lines } = capturingLogger();
    const f = fakeDeps(NOW, { log });
    const call = customApi(f);
    const refused = await call('POST', '/v1/jobs', 'team-a', {
      schedule: daily,
      target: { url: 'http://169.254.169.254/latest', headers: { authorization: SECRET } },
    });
    expect(refused.status).toBe(400);
    const invalid = await call('POST', '/v1/jobs', 'team-a', {
      schedule: daily,
      target: { ...target, headers: { authorization: `${SECRET}\n` } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details[0].path).toBe('target.headers.authorization');

    const created = await call('POST', '/v1/jobs', 'team-a', {
      schedule: { type: 'immediate' },
      target: { ...target, headers: { authorization: SECRET } },
      retry: { maxAttempts: 2, initialDelaySeconds: 0, maxDelaySeconds: 0 },
    });
    expect(created.status).toBe(201);
    f.http.answer = () => ({
      kind: 'error',
      error: 'network error: ECONNRESET',
      timedOut: false,
      aborted: false,
      durationMs: 1,
    });
    const executor = new ExecutorService(f.deps, 'exec-1');
    f.queue.failNext = 1; // the retry's enqueue fails and is logged
    await executor.handle(f.queue.take()[0]!.message);
    const execution = await call('GET', `/v1/jobs/${created.body.id}/executions`, 'team-a');

    expect(lines.length).toBeGreaterThan(0);
    for (const text of [
      ...lines,
      JSON.stringify(refused.body),
      JSON.stringify(invalid.body),
      JSON.stringify(execution.body),
    ]) {
      expect(text).not.toContain('sk_live_do-not-leak');
    }
  });
});

describe('limits', () => {
  it('refuses an oversized request (256 KiB) and target body (64 KiB) with 413, stores nothing', async () => {
    const h = apiHarness(NOW);
    const huge = await h.request('POST', '/v1/jobs', {
      schedule: daily,
      target,
      name: 'x',
      pad: 'y'.repeat(256 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const bigTarget = await h.request('POST', '/v1/jobs', {
      schedule: daily,
      target: { ...target, body: 'z'.repeat(64 * 1024 + 1) },
    });
    expect(bigTarget.status).toBe(413);
    expect(bigTarget.body.error.details).toEqual([
      { path: 'target.body', message: 'must be at most 64 KiB' },
    ]);
    const fits = await h.request('POST', '/v1/jobs', {
      schedule: daily,
      target: { ...target, body: 'z'.repeat(64 * 1024) },
    });
    expect(fits.status).toBe(201);
    const patched = await h.request('PATCH', `/v1/jobs/${fits.body.id}`, {
      target: { ...target, body: 'é'.repeat(32 * 1024 + 1) }, // 2 bytes each: one byte over
    });
    expect(patched.status).toBe(413);
    expect(h.jobs.items.size).toBe(1);
  });

  it.each([
    [
      '51 headers',
      { headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h${i}`, 'v'])) },
      'target.headers',
    ],
    ['a header name over 128 characters', { headers: { [`x-${'a'.repeat(127)}`]: 'v' } }, 'target.headers'],
    [
      'a header value over 4096 characters',
      { headers: { 'x-big': 'v'.repeat(4097) } },
      'target.headers.x-big',
    ],
    ['a URL over 2048 characters', { url: `https://example.com/${'p'.repeat(2048)}` }, 'target.url'],
  ])('refuses %s with 400 naming the field', async (_what, change, path) => {
    const h = apiHarness(NOW);
    const res = await h.request('POST', '/v1/jobs', { schedule: daily, target: { ...target, ...change } });
    expect(res.status).toBe(400);
    const paths: string[] = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths.some((p) => p.startsWith(path))).toBe(true);
    expect(h.jobs.items.size).toBe(0);
  });

  it("refuses curl -d's form content type with 415 naming JSON, and reads a body without one as JSON", async () => {
    const h = apiHarness(NOW);
    const body = JSON.stringify({ schedule: daily, target });
    const form = await h.request('POST', '/v1/jobs', body, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toMatchObject({ code: 'unsupported_media_type' });
    expect(form.body.error.message).toContain('Content-Type: application/json');
    expect(h.jobs.items.size).toBe(0);
    const bare = await h.request('POST', '/v1/jobs', undefined, {});
    expect(bare.status).toBe(400); // no body at all
    const untyped = await apiHarnessWithoutContentType(h, body);
    expect(untyped.status).toBe(201);
  });

  it('refuses a name over 128 characters', async () => {
    const h = apiHarness(NOW);
    const res = await h.request('POST', '/v1/jobs', { schedule: daily, target, name: 'n'.repeat(129) });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('name');
  });

  it('refuses bidi controls and other invisible format characters in names, on create and PATCH', async () => {
    const h = apiHarness(NOW);
    const invisible = [
      '\u202eevil',
      'a\u2066b\u2069',
      'zero\u200bwidth',
      'soft\u00adhyphen',
      '\ufeffbom',
      'tab\there',
    ];
    for (const name of invisible) {
      const res = await h.request('POST', '/v1/jobs', { schedule: daily, target, name });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.error.details[0].path).toBe('name');
      expect(res.body.error.details[0].message).toMatch(/invisible|control/);
    }
    expect(h.jobs.items.size).toBe(0);
    const ok = await h.request('POST', '/v1/jobs', { schedule: daily, target, name: 'rapport-été 📈' });
    expect(ok.status).toBe(201);
    const patched = await h.request('PATCH', `/v1/jobs/${ok.body.id}`, { name: '\u202eevil' });
    expect(patched.status).toBe(400);
    expect((await h.request('GET', `/v1/jobs/${ok.body.id}`)).body.name).toBe('rapport-été 📈');
  });

  it.each([
    'content-length',
    'Transfer-Encoding',
    'connection',
    'keep-alive',
    'upgrade',
    'te',
    'trailer',
    'proxy-connection',
    'Proxy-Authorization',
    'host',
  ])('refuses the framing or hop-by-hop header %s on create and PATCH (400 naming it)', async (name) => {
    const h = apiHarness(NOW);
    const smuggling = { ...target, headers: { [name]: '0' }, body: 'GET /admin HTTP/1.1\r\n\r\n' };
    const res = await h.request('POST', '/v1/jobs', { schedule: daily, target: smuggling });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.message).toContain(name.toLowerCase());
    expect(res.body.error.details[0].path).toBe(`target.headers.${name}`);
    expect(h.jobs.items.size).toBe(0);
    const ok = await h.request('POST', '/v1/jobs', { schedule: daily, target });
    const patched = await h.request('PATCH', `/v1/jobs/${ok.body.id}`, { target: smuggling });
    expect(patched.status).toBe(400);
    expect((await h.request('GET', `/v1/jobs/${ok.body.id}`)).body.version).toBe(1);
  });

  it('gives the place back when a create is refused, so refusals never use up the jobs limit', async () => {
    const f = fakeDeps(NOW);
    const counter = new MemoryTenantJobCounter();
    f.deps.policy = { allowlist: EMPTY_ALLOWLIST, jobs: { counter, max: 3 } };
    const call = customApi(f);
    const unknownUpstream = { schedule: daily, target, dependsOn: ['job_01HZZZZZZZZZZZZZZZZZZZZZZZ'] };
    for (let i = 0; i < 5; i++) {
      const refused = await call('POST', '/v1/jobs', 'team-a', unknownUpstream);
      expect(refused.status).toBe(400);
    }
    const failing = f.jobs.createJob.bind(f.jobs);
    f.jobs.createJob = async () => {
      throw new Error('store down');
    };
    expect((await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target })).status).toBe(500);
    f.jobs.createJob = failing;
    for (let i = 0; i < 3; i++) {
      expect((await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target })).status).toBe(201);
    }
    const over = await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('job_limit_reached');
  });

  it('holds each tenant to its jobs limit (409), counting cancels back', async () => {
    const f = fakeDeps(NOW);
    f.deps.policy = { allowlist: EMPTY_ALLOWLIST, jobs: { counter: new MemoryTenantJobCounter(), max: 2 } };
    const call = customApi(f);
    const job = { schedule: daily, target };
    const first = await call('POST', '/v1/jobs', 'team-a', job);
    expect((await call('POST', '/v1/jobs', 'team-a', job)).status).toBe(201);
    const third = await call('POST', '/v1/jobs', 'team-a', job);
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('job_limit_reached');
    expect((await call('POST', '/v1/jobs', 'team-b', job)).status).toBe(201);

    expect((await call('DELETE', `/v1/jobs/${first.body.id}`, 'team-a')).status).toBe(200);
    expect((await call('POST', '/v1/jobs', 'team-a', job)).status).toBe(201);
    expect((await call('POST', '/v1/jobs', 'team-a', job)).status).toBe(409);
    expect(f.jobs.items.size).toBe(4);
  });

  it('answers 429 with Retry-After once a tenant spends its burst; other tenants and health go on', async () => {
    const f = fakeDeps(NOW);
    const limiter = new TenantRateLimiter({ ratePerSecond: 2, burst: 3 }, () => f.clock.now());
    const call = customApi(f, limiter);
    for (let i = 0; i < 3; i++) expect((await call('GET', '/v1/jobs', 'team-a')).status).toBe(200);
    const limited = await call('GET', '/v1/jobs', 'team-a');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.error.code).toBe('rate_limited');
    expect((await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target })).status).toBe(429);
    expect(f.jobs.items.size).toBe(0);

    expect((await call('GET', '/v1/jobs', 'team-b')).status).toBe(200);
    expect((await call('GET', '/healthz', null)).status).toBe(200);
    f.clock.advance(500); // one token back at 2 per second
    expect((await call('GET', '/v1/jobs', 'team-a')).status).toBe(200);
    expect((await call('GET', '/v1/jobs', 'team-a')).status).toBe(429);
  });
});

describe('SSRF at call time', () => {
  it('refuses a webhook at the metadata address when the job is created', async () => {
    const h = apiHarness(NOW);
    const res = await h.request('POST', '/v1/jobs', {
      schedule: daily,
      target,
      notifications: [{ on: ['failed'], webhook: 'http://169.254.169.254/latest/meta-data/' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('target_not_allowed');
    expect(res.body.error.details[0].path).toBe('notifications.0.webhook');
    expect(h.jobs.items.size).toBe(0);
  });
});

type Verify = (header: string, body: string, secrets: string[], toleranceSeconds?: number) => boolean;

/** The README's verification snippet, run as written (its import line supplied here). */
function _readmeVerifier(): Verify {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((code) => code.includes('function verify('));
  if (!block) throw new Error('README has no ```js block with function verify(');
  const code = block.replace(/^import .*$/m, '');
  return new Function('createHmac', 'timingSafeEqual', `${code}\nreturn verify;`)(
    createHmac,
    timingSafeEqual,
  ) as Verify;
}
