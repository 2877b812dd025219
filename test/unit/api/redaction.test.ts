import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../lambdas/core/ports/logger.js';
import { REDACTED } from '../../../lambdas/core/redaction.js';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { apiHarness, customApi } from '../../support/api-harness.js';
import { fakeDeps } from '../../support/services.js';

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
