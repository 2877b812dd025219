import { describe, expect, it } from 'vitest';
import {
  collect,
  type FetchLike,
  regionFromHost,
  SchedulerApiError,
  SchedulerClient,
  type SchedulerClientOptions,
  SchedulerNetworkError,
  sigV4Auth,
} from '../../client/index.js';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that answers from a script and records every request. */
function fakeFetch(answers: Array<Response | Error | ((seen: Seen) => Response)>) {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (input, init) => {
    const request: Seen = {
      url: input,
      method: String(init.method),
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body === undefined ? undefined : String(init.body),
    };
    seen.push(request);
    const next = answers.shift();
    if (next === undefined) throw new Error(`unexpected request ${request.method} ${input}`);
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(request) : next;
  };
  return { fetch, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function clientWith(answers: Parameters<typeof fakeFetch>[0], options: Partial<SchedulerClientOptions> = {}) {
  const { fetch, seen } = fakeFetch(answers);
  const sleeps: number[] = [];
  const client = new SchedulerClient({
    endpoint: 'http://127.0.0.1:3000/',
    apiKey: 'k1',
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => Date.parse('2026-03-08T07:00:00.000Z'),
    idempotencyKey: () => 'idem-1',
    ...options,
  });
  return { client, seen, sleeps };
}

describe('SchedulerClient', () => {
  describe('requests', () => {
    it('sends the API key, JSON body and an Idempotency-Key on create', async () => {
      // Prepare
      const { client, seen } = clientWith([json(201, { id: 'job_1', status: 'active' })]);
      // Act
      const job = await client.createJob({
        schedule: { type: 'immediate' },
        target: { url: 'https://example.com/hook' },
      });
      // Assess
      expect(job).toEqual({ id: 'job_1', status: 'active' });
      expect(seen[0]).toMatchObject({
        url: 'http://127.0.0.1:3000/v1/jobs',
        method: 'POST',
        headers: { 'x-api-key': 'k1', 'content-type': 'application/json', 'idempotency-key': 'idem-1' },
      });
      expect(JSON.parse(seen[0]!.body!)).toEqual({
        schedule: { type: 'immediate' },
        target: { url: 'https://example.com/hook' },
      });
    });

    it('encodes ids and query parameters and omits undefined filters', async () => {
      const { client, seen } = clientWith([json(200, { items: [], nextCursor: null })]);
      await client.listExecutions('job_1', { status: 'dead', from: '2026-01-01T00:00:00Z', to: undefined });
      expect(seen[0]!.url).toBe(
        'http://127.0.0.1:3000/v1/jobs/job_1/executions?status=dead&from=2026-01-01T00%3A00%3A00Z',
      );
      const { client: other, seen: seen2 } = clientWith([json(200, {})]);
      await other.getExecution('job_1:2026-03-08T07:00:00.000Z');
      expect(seen2[0]!.url).toBe('http://127.0.0.1:3000/v1/executions/job_1%3A2026-03-08T07%3A00%3A00.000Z');
    });

    it('sends If-Match with the quoted version on a patch', async () => {
      const { client, seen } = clientWith([json(200, { id: 'job_1', version: 4 })]);
      await client.updateJob('job_1', { name: 'renamed' }, { ifMatch: 3 });
      expect(seen[0]).toMatchObject({ method: 'PATCH', headers: { 'if-match': '"3"' } });
      expect(seen[0]!.headers['idempotency-key']).toBeUndefined();
    });

    it('authenticates callbacks with the callback token, not the API key alone', async () => {
      const { client, seen } = clientWith([
        json(200, { status: 'succeeded' }),
        json(200, { cancelled: false }),
      ]);
      await client.complete('e:1', 'tok', { status: 'succeeded' });
      await client.heartbeat('e:1', 'tok2');
      expect(seen[0]).toMatchObject({
        method: 'POST',
        url: 'http://127.0.0.1:3000/v1/executions/e%3A1/complete',
        body: '{"status":"succeeded"}',
      });
      expect(seen[0]!.headers['x-scheduler-callback-token']).toBe('tok');
      expect(seen[1]).toMatchObject({
        method: 'POST',
        url: 'http://127.0.0.1:3000/v1/executions/e%3A1/heartbeat',
      });
      expect(seen[1]!.body).toBeUndefined();
      expect(seen[1]!.headers['x-scheduler-callback-token']).toBe('tok2');
    });

    it('refuses an endpoint that is not an http(s) URL', () => {
      expect(() => new SchedulerClient({ endpoint: 'localhost:3000' })).toThrow(/http or https/);
      expect(() => new SchedulerClient({ endpoint: 'not a url' })).toThrow(/not a URL/);
    });
  });

  describe('errors', () => {
    it('throws SchedulerApiError with the API code, message and field details', async () => {
      const { client } = clientWith([
        json(400, {
          error: {
            code: 'validation_error',
            message: 'invalid job: target.url must be an http or https URL',
            details: [{ path: 'target.url', message: 'must be an http or https URL' }],
          },
        }),
      ]);
      const error = await client.getJob('job_x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchedulerApiError);
      expect(error).toMatchObject({
        status: 400,
        code: 'validation_error',
        message: 'invalid job: target.url must be an http or https URL',
        details: [{ path: 'target.url', message: 'must be an http or https URL' }],
        isClientError: true,
      });
    });

    it('does not retry a 4xx', async () => {
      const { client, seen } = clientWith([
        json(404, { error: { code: 'not_found', message: 'job x not found' } }),
      ]);
      await expect(client.getJob('x')).rejects.toMatchObject({ status: 404, code: 'not_found' });
      expect(seen).toHaveLength(1);
    });

    it('turns a non-JSON error body into a readable message', async () => {
      const { client } = clientWith([new Response('Bad Gateway from proxy', { status: 502 })], {
        retry: { maxRetries: 0 },
      });
      await expect(client.health()).rejects.toMatchObject({
        status: 502,
        code: 'http_502',
        message: 'HTTP 502: Bad Gateway from proxy',
      });
    });

    it('wraps a refused connection in SchedulerNetworkError after the retries', async () => {
      const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      const { client, seen } = clientWith([refused(), refused(), refused(), refused()]);
      const error = await client.listJobs().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchedulerNetworkError);
      expect((error as Error).message).toBe('cannot reach http://127.0.0.1:3000: ECONNREFUSED');
      expect(seen).toHaveLength(4);
    });

    it("says so when fetch refuses the endpoint's port before connecting", async () => {
      // The real fetch: it refuses port 9 (discard) without touching the network.
      const client = new SchedulerClient({ endpoint: 'http://127.0.0.1:9', retry: { maxRetries: 0 } });
      await expect(client.health()).rejects.toThrow(
        'cannot reach http://127.0.0.1:9: fetch does not connect to port 9 (a blocked port)',
      );
    });

    it('reports a timeout as a network error that says so', async () => {
      const { client } = clientWith(
        [
          () => {
            throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
          },
        ],
        { retry: { maxRetries: 0 }, timeoutMs: 1500 },
      );
      await expect(client.health()).rejects.toMatchObject({
        timedOut: true,
        message: 'no answer from http://127.0.0.1:3000 within 1500 ms',
      });
    });
  });

  describe('retries', () => {
    it('retries 5xx with exponential backoff and full jitter, keeping the Idempotency-Key', async () => {
      const { client, seen, sleeps } = clientWith([
        json(503, { error: { code: 'unavailable', message: 'busy' } }),
        json(500, { error: { code: 'internal_error', message: 'x' } }),
        json(502, {}),
        json(202, { executionId: 'job_1:t' }),
      ]);
      const out = await client.triggerJob('job_1');
      expect(out).toEqual({ executionId: 'job_1:t' });
      // random() = 0.5 of a ceiling of 200, 400, 800 ms
      expect(sleeps).toEqual([100, 200, 400]);
      expect(new Set(seen.map((s) => s.headers['idempotency-key']))).toEqual(new Set(['idem-1']));
    });

    it('honours Retry-After in seconds and as an HTTP date on 429', async () => {
      const { client, sleeps } = clientWith([
        json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '2' }),
        json(
          429,
          { error: { code: 'rate_limited', message: 'slow down' } },
          {
            'retry-after': 'Sun, 08 Mar 2026 07:00:05 GMT',
          },
        ),
        json(200, { items: [], nextCursor: null }),
      ]);
      await client.listJobs();
      expect(sleeps).toEqual([2000, 5000]);
    });

    it('gives up at once when Retry-After is longer than it will wait', async () => {
      const { client, seen } = clientWith([
        json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '3600' }),
      ]);
      await expect(client.listJobs()).rejects.toMatchObject({ status: 429, retryAfterMs: 3_600_000 });
      expect(seen).toHaveLength(1);
    });

    it('stops after maxRetries and throws the last error', async () => {
      const { client, seen } = clientWith(
        [
          json(503, { error: { code: 'a', message: '1' } }),
          json(503, { error: { code: 'b', message: '2' } }),
        ],
        { retry: { maxRetries: 1 } },
      );
      await expect(client.health()).rejects.toMatchObject({ status: 503, code: 'b' });
      expect(seen).toHaveLength(2);
    });

    it('caps the backoff at maxDelayMs', async () => {
      const answers = Array.from({ length: 6 }, () => json(503, {}));
      const { client, sleeps } = clientWith(answers, {
        random: () => 0.999,
        retry: { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 3000 },
      });
      await client.health().catch(() => undefined);
      expect(sleeps).toEqual([999, 1998, 2997, 2997, 2997]);
    });
  });

  describe('pagination', () => {
    it('iterates every item across pages, asking for the next page with the cursor', async () => {
      const { client, seen } = clientWith([
        json(200, { items: [{ id: 'a' }, { id: 'b' }], nextCursor: 'c1' }),
        json(200, { items: [], nextCursor: 'c2' }),
        json(200, { items: [{ id: 'c' }], nextCursor: null }),
      ]);
      const pages: number[] = [];
      const jobs = await collect(
        client.iterateJobs({ status: 'active' }, { onPage: (p) => pages.push(p.items) }),
      );
      expect(jobs.map((j) => j.id)).toEqual(['a', 'b', 'c']);
      expect(seen.map((s) => new URL(s.url).search)).toEqual([
        '?status=active&limit=100',
        '?status=active&limit=100&cursor=c1',
        '?status=active&limit=100&cursor=c2',
      ]);
      expect(pages).toEqual([2, 2, 3]);
    });

    it('stops at max items and asks only for what it still needs', async () => {
      const { client, seen } = clientWith([
        json(200, { items: [{ executionId: '1' }, { executionId: '2' }], nextCursor: 'c1' }),
        json(200, { items: [{ executionId: '3' }], nextCursor: 'c2' }),
      ]);
      const items = await collect(client.iterateExecutions('job_1', {}, { max: 3, pageSize: 2 }));
      expect(items).toHaveLength(3);
      expect(seen.map((s) => new URL(s.url).searchParams.get('limit'))).toEqual(['2', '1']);
    });

    it('requests a page only when the previous one is consumed', async () => {
      const { client, seen } = clientWith([
        json(200, { items: [{ executionId: '1' }], nextCursor: 'c1' }),
        json(200, { items: [{ executionId: '2' }], nextCursor: null }),
      ]);
      const iterator = client.iterateDeadLetters();
      await iterator.next();
      expect(seen).toHaveLength(1);
      await iterator.next();
      expect(seen).toHaveLength(2);
    });
  });

  describe('SigV4', () => {
    // The "get-vanilla" case of the AWS Signature Version 4 test suite.
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    };
    const now = () => new Date('2015-08-30T12:36:00Z');

    it('signs a request as the AWS test suite expects', async () => {
      const auth = sigV4Auth({ region: 'us-east-1', service: 'service', credentials, now });
      const headers = await auth.headersFor({
        method: 'GET',
        url: new URL('https://example.amazonaws.com/'),
        headers: {},
      });
      expect(headers.authorization).toBe(
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
          'SignedHeaders=host;x-amz-date, ' +
          'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      );
      expect(headers['x-amz-date']).toBe('20150830T123600Z');
      expect(headers.host).toBeUndefined();
    });

    it('signs a body and a query string as the AWS test suite expects', async () => {
      const auth = sigV4Auth({ region: 'us-east-1', service: 'service', credentials, now });
      const sign = (url: string, headers: Record<string, string>, body?: string) =>
        auth.headersFor({ method: 'POST', url: new URL(url), headers, ...(body ? { body } : {}) });
      // post-x-www-form-urlencoded: the payload hash is part of the signature.
      const withBody = await sign(
        'https://example.amazonaws.com/',
        { 'content-type': 'application/x-www-form-urlencoded' },
        'Param1=value1',
      );
      expect(withBody.authorization).toBe(
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
          'SignedHeaders=content-type;host;x-amz-date, ' +
          'Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
      );
      // post-vanilla-query
      const withQuery = await sign('https://example.amazonaws.com/?Param1=value1', {});
      expect(withQuery.authorization).toBe(
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
          'SignedHeaders=host;x-amz-date, ' +
          'Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
      );
    });

    it('signs the body, the query and a session token; the region comes from the host', async () => {
      const auth = sigV4Auth({ credentials: { ...credentials, sessionToken: 'session' }, now });
      const request = {
        method: 'POST',
        url: new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/v1/jobs?limit=5'),
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      };
      const signed = await auth.headersFor(request);
      expect(signed.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
      );
      expect(signed['x-amz-security-token']).toBe('session');
      const otherBody = await auth.headersFor({ ...request, body: '{"a":2}' });
      const otherQuery = await auth.headersFor({
        ...request,
        url: new URL(`${request.url.origin}/v1/jobs?limit=6`),
      });
      expect(otherBody.authorization).not.toBe(signed.authorization);
      expect(otherQuery.authorization).not.toBe(signed.authorization);
    });

    it('signs every attempt through the client', async () => {
      const { client, seen } = clientWith([json(503, {}), json(200, { status: 'ok' })], {
        endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com',
        apiKey: undefined,
        auth: sigV4Auth({ credentials, now }),
      });
      await client.health();
      expect(seen.map((s) => s.headers.authorization?.slice(0, 16))).toEqual([
        'AWS4-HMAC-SHA256',
        'AWS4-HMAC-SHA256',
      ]);
      expect(seen[0]!.headers['x-api-key']).toBeUndefined();
    });

    it('finds the region in execute-api host names only', () => {
      expect(regionFromHost('abc.execute-api.ap-southeast-2.amazonaws.com')).toBe('ap-southeast-2');
      expect(regionFromHost('scheduler.example.com')).toBeUndefined();
    });
  });
});
