import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../lambdas/core/ports/logger.js';
import { parseAllowedHosts } from '../../local/allowed-hosts.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { API_KEY, apiClient, OTHER_KEY, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type Sink, startSink, waitFor } from '../support/sink.js';

/** A GET or POST with exactly the headers given (fetch would set its own Host). */
function rawRequest(
  url: string,
  options: { method?: string; path: string; headers: Record<string, string>; setHost?: boolean },
): Promise<{ status: number; body: string; contentType: string | undefined }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        setHost: options.setHost ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: res.headers['content-type'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Issue 20 items 6, 7 and 8 against the local runtime: what a hostile tenant, a web page that
 * rebinds its name to 127.0.0.1, or a client sending forged ids and cursors can do.
 */
describe('local runtime: hostile requests', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime;
  const logged: string[] = [];
  const log: Logger = {
    info: () => {},
    warn: (message, fields) => logged.push(`warn ${message} ${JSON.stringify(fields ?? {})}`),
    error: (message, fields) => logged.push(`error ${message} ${JSON.stringify(fields ?? {})}`),
  };
  /** A loopback target that records which connection each request came on. */
  let target: Sink;
  let targetUrl = '';
  const arrivals = () =>
    target.calls.map((c) => ({ connection: c.connection, tenant: String(c.headers['x-tenant-tag']) }));

  beforeAll(async () => {
    target = await startSink();
    targetUrl = target.url;
    runtime = await startTestRuntime(data.dir, {
      log,
      allowedHosts: parseAllowedHosts('scheduler.test'),
      targetAllowlist: ['127.0.0.0/8'],
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await target?.close();
    data.remove();
  });

  describe('request smuggling through target headers (item 6)', () => {
    it('refuses framing and hop-by-hop headers at create and PATCH', async () => {
      const api = apiClient(runtime.url);
      const smuggling = {
        schedule: { type: 'cron', expression: '0 0 1 1 *' },
        target: {
          url: `${targetUrl}/hook`,
          headers: { 'Content-Length': '0' },
          body: 'GET /steal HTTP/1.1\r\nHost: target\r\n\r\n',
        },
      };
      const refused = await api('POST', '/v1/jobs', smuggling);
      expect(refused.status).toBe(400);
      expect(refused.body.error.details[0].path).toBe('target.headers.Content-Length');
      const ok = await api('POST', '/v1/jobs', { ...smuggling, target: { url: `${targetUrl}/hook` } });
      const patched = await api('PATCH', `/v1/jobs/${ok.body.id}`, {
        target: { url: `${targetUrl}/hook`, headers: { 'transfer-encoding': 'chunked' } },
      });
      expect(patched.status).toBe(400);
    });

    it("never lets two tenants' runs share a connection to a target", async () => {
      const jobs: Record<string, string> = {};
      for (const [key, tenant] of [
        [API_KEY, 'team-a'],
        [OTHER_KEY, 'team-b'],
      ] as const) {
        const created = await apiClient(runtime.url, key)('POST', '/v1/jobs', {
          schedule: { type: 'cron', expression: '0 0 1 1 *' },
          target: { url: `${targetUrl}/${tenant}`, headers: { 'x-tenant-tag': tenant } },
        });
        expect(created.status).toBe(201);
        jobs[key] = created.body.id;
      }
      for (let round = 0; round < 4; round++) {
        for (const key of [API_KEY, OTHER_KEY]) {
          const before = target.calls.length;
          const triggered = await apiClient(runtime.url, key)('POST', `/v1/jobs/${jobs[key]}/trigger`);
          expect(triggered.status).toBe(202);
          await waitFor(() => target.calls.length > before, 5000, 'the triggered call');
        }
      }
      const tenantsByConnection = new Map<number, Set<string>>();
      const calls = arrivals().filter((a) => a.tenant !== 'undefined');
      for (const { connection, tenant } of calls) {
        tenantsByConnection.set(connection, (tenantsByConnection.get(connection) ?? new Set()).add(tenant));
      }
      expect(calls).toHaveLength(8);
      for (const tenants of tenantsByConnection.values()) expect([...tenants]).toHaveLength(1);
    });
  });

  describe('DNS rebinding against the local API (item 7)', () => {
    it('answers a request for another host with 421 and a JSON error, before the key check', async () => {
      for (const host of ['evil.example', `evil.example:${new URL(runtime.url).port}`, '0.0.0.0']) {
        const res = await rawRequest(runtime.url, {
          path: '/v1/jobs',
          headers: { host, 'x-api-key': API_KEY },
        });
        expect(res.status, host).toBe(421);
        expect(res.contentType).toBe('application/json');
        expect(JSON.parse(res.body).error.code).toBe('host_not_allowed');
      }
      // The dashboard is no exception; an HTTP/1.1 request without a Host, Node refuses itself (400).
      expect((await rawRequest(runtime.url, { path: '/', headers: { host: 'evil.example' } })).status).toBe(
        421,
      );
      expect((await rawRequest(runtime.url, { path: '/healthz', headers: {} })).status).toBe(400);
    });

    it('answers loopback names and addresses, and the hosts SCHEDULER_ALLOWED_HOSTS lists', async () => {
      const { port } = new URL(runtime.url);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'scheduler.test']) {
        const res = await rawRequest(runtime.url, {
          path: '/v1/jobs',
          headers: { host, 'x-api-key': API_KEY },
        });
        expect(res.status, host).toBe(200);
      }
    });
  });

  describe('hostile ids and cursors (item 8)', () => {
    const api = () => apiClient(runtime.url);
    const long = `job_${'A'.repeat(3000)}`;
    const longExecution = `${long}:2026-05-01T12:00:00.000Z`;

    it('answers a 3,000-character id with 404 on every route, callbacks included', async () => {
      const routes: [string, string, unknown?][] = [
        ['GET', `/v1/jobs/${long}`],
        ['PATCH', `/v1/jobs/${long}`, { name: 'x' }],
        ['DELETE', `/v1/jobs/${long}`],
        ['POST', `/v1/jobs/${long}/pause`],
        ['POST', `/v1/jobs/${long}/trigger`],
        ['GET', `/v1/jobs/${long}/executions`],
        ['GET', `/v1/executions/${encodeURIComponent(longExecution)}`],
        ['POST', `/v1/executions/${encodeURIComponent(longExecution)}/cancel`],
        ['POST', `/v1/dead-letters/${encodeURIComponent(longExecution)}/replay`],
        ['POST', `/v1/executions/${encodeURIComponent(longExecution)}/heartbeat`],
        ['POST', `/v1/executions/${encodeURIComponent(longExecution)}/complete`, { status: 'succeeded' }],
        ['GET', '/v1/executions/job_01HZZZZZZZZZZZZZZZZZZZZZZZ:yesterday'],
      ];
      for (const [method, path, body] of routes) {
        const res = await api()(method, path, body);
        expect(res.status, `${method} ${path.slice(0, 60)}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
        expect(res.body.error.message.length).toBeLessThan(200);
      }
    });

    it('answers forged list cursors with 400 invalid_cursor', async () => {
      const a = api();
      for (let i = 0; i < 3; i++) {
        await a('POST', '/v1/jobs', {
          schedule: { type: 'cron', expression: '0 0 1 1 *' },
          target: { url: `${targetUrl}/cursor` },
        });
      }
      const page = await a('GET', '/v1/jobs?limit=1');
      const cursor: string = page.body.nextCursor;
      const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const historyCursor = b64({ j: page.body.items[0].id, b: '2026-05-01T12:00:00.000Z' });
      const forged = [
        b64({ ...key, extra: 'x' }),
        b64({ jobId: key.jobId, tenant: key.tenant }),
        b64({ ...key, createdKey: 1 }),
        b64({ ...key, createdKey: { S: key.createdKey } }),
        b64({ ...key, tenant: 'team-b' }),
        historyCursor,
        'bm90IGpzb24',
      ];
      for (const route of ['/v1/jobs', '/v1/dead-letters']) {
        for (const c of forged) {
          const res = await a('GET', `${route}?cursor=${c}`);
          expect(res.status, `${route} ${c}`).toBe(400);
          expect(res.body.error.code).toBe('invalid_cursor');
        }
      }
      expect((await a('GET', `/v1/jobs?limit=1&cursor=${cursor}`)).status).toBe(200);
      expect((await apiClient(runtime.url, OTHER_KEY)('GET', `/v1/jobs?cursor=${cursor}`)).status).toBe(400);
    });

    it('logged no error and no stack trace for any of the requests above', () => {
      expect(
        logged.filter((line) => line.startsWith('error') || /stack|at .*\.(ts|js):\d+/.test(line)),
      ).toEqual([]);
    });
  });
});
