import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { apiHarness, apiOver } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const target = { url: 'https://example.com/hook' };
const daily = { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' };

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

describe('limits of a request', () => {
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
});
