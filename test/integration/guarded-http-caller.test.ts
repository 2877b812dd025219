import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GuardedHttpCaller, type Resolver } from '../../lambdas/adapters/guarded-http-caller.js';
import type { HttpRequest } from '../../lambdas/core/ports/http-caller.js';
import { EMPTY_ALLOWLIST, isTargetRefusal, parseAllowlist } from '../../lambdas/core/ssrf.js';
import { type Sink, startSink } from '../support/sink.js';

const LOOPBACK_OPEN = parseAllowlist(['127.0.0.0/8']);

/** A resolver from a script: each name answers the next entry of its list (the last one repeats). */
function scriptedResolver(answers: Record<string, string[][]>) {
  const calls: string[] = [];
  const resolve: Resolver = async (hostname) => {
    calls.push(hostname);
    const list = answers[hostname];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const seen = calls.filter((h) => h === hostname).length;
    const addresses = list[Math.min(seen, list.length) - 1]!;
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

function get(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { url, method: 'POST', headers: {}, body: '{}', timeoutMs: 2000, ...extra };
}

describe('GuardedHttpCaller', () => {
  let sink: Sink;
  let port: number;

  beforeAll(async () => {
    sink = await startSink();
    port = Number(new URL(sink.url).port);
  });
  afterAll(() => sink.close());
  afterEach(() => {
    sink.calls.length = 0;
    sink.respond(() => ({ status: 200 }));
  });

  describe('call-time refusal', () => {
    it('refuses a DNS name that resolves to a private address, without connecting', async () => {
      const dns = scriptedResolver({ 'innocent.example.com': [['10.0.0.5']] });
      const caller = new GuardedHttpCaller({ allowlist: EMPTY_ALLOWLIST, resolve: dns.resolve });

      const outcome = await caller.call(get('http://innocent.example.com/hook'));

      expect(outcome).toMatchObject({
        kind: 'error',
        error: 'target_not_allowed: innocent.example.com resolves to 10.0.0.5, which is private',
        timedOut: false,
        aborted: false,
      });
      expect(outcome.kind === 'error' && isTargetRefusal(outcome.error)).toBe(true);
      expect(dns.calls).toEqual(['innocent.example.com']);
    });

    it('refuses a name when one of several addresses is private', async () => {
      const dns = scriptedResolver({ 'mixed.example.com': [['93.184.216.34', '169.254.169.254']] });
      const caller = new GuardedHttpCaller({ resolve: dns.resolve });

      const outcome = await caller.call(get('http://mixed.example.com/'));

      expect(outcome.kind === 'error' && outcome.error).toBe(
        'target_not_allowed: mixed.example.com resolves to 169.254.169.254, which is link-local (cloud metadata)',
      );
    });

    it('refuses a literal loopback address (the sink is real, yet never called)', async () => {
      const caller = new GuardedHttpCaller({ allowlist: EMPTY_ALLOWLIST });

      const outcome = await caller.call(get(`http://127.0.0.1:${port}/x`));

      expect(outcome.kind === 'error' && outcome.error).toBe('target_not_allowed: 127.0.0.1 is loopback');
      expect(sink.calls).toHaveLength(0);
    });

    it('refuses IPv4-mapped IPv6 spellings of a refused address', async () => {
      const caller = new GuardedHttpCaller();

      const outcome = await caller.call(get(`http://[::ffff:127.0.0.1]:${port}/x`));

      expect(outcome.kind === 'error' && isTargetRefusal(outcome.error)).toBe(true);
      expect(sink.calls).toHaveLength(0);
    });

    it('reports a name that does not resolve as a network error, not a refusal', async () => {
      const caller = new GuardedHttpCaller({ resolve: scriptedResolver({}).resolve });

      const outcome = await caller.call(get('http://nowhere.example.com/'));

      expect(outcome).toMatchObject({ kind: 'error', error: 'network error: ENOTFOUND' });
    });
  });

  describe('the allowlist and the pinned address', () => {
    it('connects to the resolved and checked address when the allowlist opens its CIDR', async () => {
      // `sink.test` exists in no DNS: reaching the sink proves the socket used the checked address.
      const dns = scriptedResolver({ 'sink.test': [['127.0.0.1']] });
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN, resolve: dns.resolve });

      const outcome = await caller.call(
        get(`http://sink.test:${port}/hook`, { headers: { 'x-team': 'data' }, body: '{"a":1}' }),
      );

      expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
      expect(sink.calls).toHaveLength(1);
      expect(sink.calls[0]).toMatchObject({ method: 'POST', path: '/hook', body: '{"a":1}' });
      expect(sink.calls[0]!.headers['x-team']).toBe('data');
      expect(sink.calls[0]!.headers.host).toBe(`sink.test:${port}`);
    });

    it('resolves once per call, so a rebinding answer cannot replace the checked one', async () => {
      // First answer: allowed (stands in for a public address); every later answer: private.
      const dns = scriptedResolver({ 'rebind.test': [['127.0.0.1'], ['10.0.0.5']] });
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN, resolve: dns.resolve });

      const first = await caller.call(get(`http://rebind.test:${port}/`));
      const second = await caller.call(get(`http://rebind.test:${port}/`));

      expect(first).toMatchObject({ kind: 'response', statusCode: 200 });
      expect(second.kind === 'error' && second.error).toBe(
        'target_not_allowed: rebind.test resolves to 10.0.0.5, which is private',
      );
      expect(dns.calls).toEqual(['rebind.test', 'rebind.test']);
      expect(sink.calls).toHaveLength(1);
    });

    it('opens a host name on the allowlist whatever it resolves to', async () => {
      const dns = scriptedResolver({ 'billing.internal': [['127.0.0.1']] });
      const caller = new GuardedHttpCaller({
        allowlist: parseAllowlist(['billing.internal']),
        resolve: dns.resolve,
      });

      const outcome = await caller.call(get(`http://billing.internal:${port}/`));

      expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
    });
  });

  describe('the call itself', () => {
    let redirector: Server;
    let redirectorPort: number;
    let redirectorHits = 0;

    beforeAll(async () => {
      redirector = createServer((_req, res) => {
        redirectorHits++;
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
      });
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      redirectorPort = (redirector.address() as AddressInfo).port;
    });
    afterAll(
      () =>
        new Promise<void>((resolve) => {
          redirector.closeAllConnections();
          redirector.close(() => resolve());
        }),
    );

    it('does not follow redirects: a 302 is the answer', async () => {
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });

      const outcome = await caller.call(get(`http://127.0.0.1:${redirectorPort}/`));

      expect(outcome).toMatchObject({
        kind: 'response',
        statusCode: 302,
        location: 'http://169.254.169.254/latest/meta-data/',
      });
      expect(redirectorHits).toBe(1);
    });

    it('keeps the first KiB of the answer', async () => {
      sink.respond(() => ({ status: 500, body: 'x'.repeat(5000) }));
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });

      const outcome = await caller.call(get(`http://127.0.0.1:${port}/`));

      expect(outcome).toMatchObject({ kind: 'response', statusCode: 500 });
      expect(outcome.kind === 'response' && outcome.body.length).toBe(1024);
    });

    it('times out', async () => {
      sink.respond(() => ({ status: 200, delayMs: 1000 }));
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });

      const outcome = await caller.call(get(`http://127.0.0.1:${port}/`, { timeoutMs: 100 }));

      expect(outcome).toMatchObject({ kind: 'error', error: 'timed out after 100 ms', timedOut: true });
    });

    it('aborts when the execution is cancelled', async () => {
      sink.respond(() => ({ status: 200, delayMs: 1000 }));
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });
      const cancel = new AbortController();
      setTimeout(() => cancel.abort('cancelled'), 50);

      const outcome = await caller.call(get(`http://127.0.0.1:${port}/`, { signal: cancel.signal }));

      expect(outcome).toMatchObject({ kind: 'error', error: 'aborted: execution cancelled', aborted: true });
    });

    it('sends no body with GET and reports a refused connection as a network error', async () => {
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });

      const ok = await caller.call({ url: `${sink.url}/g`, method: 'GET', headers: {}, timeoutMs: 2000 });
      const closed = await caller.call(get('http://127.0.0.1:1/'));

      expect(ok).toMatchObject({ kind: 'response', statusCode: 200 });
      expect(sink.calls[0]).toMatchObject({ method: 'GET', body: '' });
      expect(closed).toMatchObject({ kind: 'error', error: 'network error: ECONNREFUSED' });
    });
  });

  describe('framing and connection pools', () => {
    /** A loopback target that records, for each request, the connection it arrived on. */
    let counting: Sink;
    let countingUrl: string;
    const requests = () =>
      counting.calls.map((c) => ({
        connection: c.connection,
        tenant: String(c.headers['x-tenant-tag']),
        path: c.path,
        body: c.body,
      }));

    beforeAll(async () => {
      counting = await startSink();
      counting.respond((call) => ({ status: 200, body: `answer to ${call.path}` }));
      countingUrl = counting.url;
    });
    afterEach(() => {
      counting.calls.length = 0;
    });
    afterAll(() => counting.close());

    it('frames the body itself: a stored content-length or transfer-encoding cannot smuggle a second request', async () => {
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });
      const smuggled = 'GET /admin HTTP/1.1\r\nHost: target\r\n\r\n';

      const outcomes = [];
      const framings: Record<string, string>[] = [
        { 'content-length': '0' },
        { 'transfer-encoding': 'chunked', 'Content-Length': '4' },
        { connection: 'keep-alive, upgrade', upgrade: 'h2c', host: 'other.example', te: 'trailers' },
      ];
      for (const headers of framings) {
        outcomes.push(
          await caller.call(get(`${countingUrl}/hook`, { headers, body: smuggled, tenant: 'team-a' })),
        );
      }

      expect(outcomes.map((o) => o.kind === 'response' && o.body)).toEqual([
        'answer to /hook',
        'answer to /hook',
        'answer to /hook',
      ]);
      expect(requests().map((r) => [r.path, r.body])).toEqual([
        ['/hook', smuggled],
        ['/hook', smuggled],
        ['/hook', smuggled],
      ]);
    });

    it('never lets two tenants share a pooled connection, and reuses connections within a tenant', async () => {
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });

      for (let i = 0; i < 6; i++) {
        for (const tenant of ['team-a', 'team-b']) {
          const outcome = await caller.call(
            get(`${countingUrl}/${tenant}/${i}`, { headers: { 'x-tenant-tag': tenant }, tenant }),
          );
          expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
        }
      }

      const tenantsByConnection = new Map<number, Set<string>>();
      for (const r of requests()) {
        tenantsByConnection.set(
          r.connection,
          (tenantsByConnection.get(r.connection) ?? new Set()).add(r.tenant),
        );
      }
      expect(requests()).toHaveLength(12);
      for (const tenants of tenantsByConnection.values()) expect(tenants.size).toBe(1);
      // Keep-alive still works inside a tenant: sequential calls reuse one connection each.
      expect(tenantsByConnection.size).toBe(2);
    });

    it('opens a fresh connection for every call that names no tenant', async () => {
      const caller = new GuardedHttpCaller({ allowlist: LOOPBACK_OPEN });

      for (let i = 0; i < 3; i++) await caller.call(get(`${countingUrl}/anonymous/${i}`));

      expect(new Set(requests().map((r) => r.connection)).size).toBe(3);
    });
  });
});
