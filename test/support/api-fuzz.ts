import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { expect } from 'vitest';
import { TenantRateLimiter } from '../../lambdas/api/rate-limit.js';
import { MAX_TIMEOUT_SECONDS } from '../../schemas/job.js';
import { answerOf, apiOver } from './api-harness.js';
import { fakeDeps, silentLogger } from './services.js';

/**
 * Property-based fuzzing of the API in process (createApi over the memory stores): hostile bodies
 * for create, PATCH, trigger and preview are always a clear 4xx that stores nothing; random and
 * mutated bodies never cause a 5xx or a throw, and store nothing unless accepted. Hostile ids in
 * every path, forged list cursors and hostile headers are a 4xx too, and a malformed id never
 * reaches a store (DynamoDB refuses a key over 1 KiB with an exception: a 500 before issue 20).
 */

export const NOW = Date.parse('2026-05-01T12:00:00.000Z');
/**
 * Runs per property: the file takes a few seconds on a loaded 2-core machine. A fixed seed keeps CI
 * repeatable; explore further with e.g. `FUZZ_SEED=$RANDOM FUZZ_SCALE=20 npx vitest run <this file>`.
 */
export const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
export const RUNS = { valid: 60 * SCALE, hostile: 1000 * SCALE, random: 500 * SCALE };
export const SEED = Number(process.env.FUZZ_SEED ?? 0x5ec9);
export const TIMEOUT_MS = 60_000 * SCALE;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Route = 'create' | 'patch' | 'trigger' | 'preview';
export interface Request {
  route: Route;
  body: string;
  base64?: boolean;
  contentType?: string;
}
export const statusClasses: Record<string, number> = {};
export const kinds: Record<string, number> = {};
// ── valid bases ────────────────────────────────────────────────────────────────────────────────
export const schedule = fc.oneof(
  fc.constant({ type: 'immediate' }),
  fc.record({
    type: fc.constant('cron'),
    expression: fc.constantFrom('0 9 * * *', '*/5 * * * *', '30 2 * * 1-5', '0 0 1 * *'),
    timezone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'),
  }),
  fc.record({ type: fc.constant('rate'), everySeconds: fc.integer({ min: 1, max: 86_400 }) }),
  fc.constant({ type: 'once', at: '2026-05-02T00:00:00.000Z' }),
);
export const target = fc.record(
  {
    url: fc.constantFrom('https://example.com/hook', 'http://api.example.org/x?y=1'),
    method: fc.constantFrom('GET', 'POST', 'PUT'),
    headers: fc.constantFrom({}, { 'x-team': 'data', authorization: 'Bearer t' }),
    body: fc.constantFrom('{"a":1}', ''),
  },
  { requiredKeys: ['url'] },
);
export const createBody = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 40 }),
    schedule,
    target,
    timeoutSeconds: fc.integer({ min: 1, max: MAX_TIMEOUT_SECONDS }),
    priority: fc.constantFrom('high', 'normal', 'low'),
    retry: fc.record({ maxAttempts: fc.integer({ min: 1, max: 20 }) }),
    misfire: fc.constantFrom('skip', 'run_once', 'catch_up'),
  },
  { requiredKeys: ['schedule', 'target'] },
);
export const patchBody = fc.oneof(
  fc.record({ name: fc.string({ minLength: 1, maxLength: 40 }) }),
  fc.record({ timeoutSeconds: fc.integer({ min: 1, max: MAX_TIMEOUT_SECONDS }) }),
  fc.record({ schedule }),
  fc.record({ target, priority: fc.constantFrom('high', 'low') }),
);
export const previewBody = fc.record(
  { schedule, count: fc.integer({ min: 1, max: 20 }), from: fc.constant('2026-03-07T00:00:00Z') },
  { requiredKeys: ['schedule'] },
);
export const baseFor = (route: Route): fc.Arbitrary<Json> =>
  ({ create: createBody, patch: patchBody, trigger: fc.constant({}), preview: previewBody })[
    route
  ] as fc.Arbitrary<Json>;
export const routeArb = fc.constantFrom<Route>('create', 'patch', 'trigger', 'preview');
export const based = <T>(make: (route: Route, base: Json) => fc.Arbitrary<T>) =>
  routeArb.chain((route) => baseFor(route).chain((base) => make(route, base)));
// ── tree helpers: every place a hostile value can go ─────────────────────────────────────────────
export type Path = (string | number)[];
/** Paths of every value in the tree (the root is `[]`), and whether each is an object. */
export function placesOf(value: Json, path: Path = [], out: { path: Path; object: boolean }[] = []) {
  const object = typeof value === 'object' && value !== null && !Array.isArray(value);
  out.push({ path, object });
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) placesOf(v, [...path, i], out);
  } else if (object) for (const [k, v] of Object.entries(value)) placesOf(v, [...path, k], out);
  return out;
}
export function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  node[path.at(-1)!] = value;
  return copy as Json;
}
export const MARK = '\u0000HOSTILE\u0000';
export const MARK_TEXT = JSON.stringify(MARK);
/** JSON text of `base` with raw `text` at a place: replacing a value, or under a new key `keyText`. */
export function inject(base: Json, pick: number, text: string, keyText?: string): string {
  const places = placesOf(base);
  const objects = places.filter((p) => p.object);
  if (keyText !== undefined) {
    const at = objects[pick % objects.length]!;
    const node = setAt(base, [...at.path, MARK], MARK);
    return JSON.stringify(node).replace(`${MARK_TEXT}:${MARK_TEXT}`, `${keyText}:${text}`);
  }
  const at = places[pick % places.length]!;
  return JSON.stringify(setAt(base, at.path, MARK)).replace(MARK_TEXT, text);
}
// ── hostile requests: each is invalid by construction ────────────────────────────────────────────
export const place = fc.nat();
export const jsonValue = fc.jsonValue({ maxDepth: 2 });
export const protoKey = based((route, base) =>
  fc
    .tuple(
      place,
      fc.oneof(
        jsonValue.map((v) => ['"__proto__"', JSON.stringify(v)] as const),
        fc.constant(['"__proto__"', '{"polluted":true}'] as const),
        fc.constant(['"constructor"', '{"prototype":{"polluted":true}}'] as const),
      ),
    )
    .map(([pick, [key, value]]) => ({ route, body: inject(base, pick, value, key), kind: 'prototype key' })),
);
export const deepNesting = based((route, base) =>
  fc
    .tuple(place, fc.integer({ min: 33, max: 50_000 }), fc.boolean(), fc.boolean())
    .map(([pick, depth, arrays, asKey]) => {
      const text = arrays
        ? `${'['.repeat(depth)}${']'.repeat(depth)}`
        : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      return { route, body: inject(base, pick, text, asKey ? '"deep"' : undefined), kind: 'deep nesting' };
    }),
);
/** Magnitudes past every numeric limit of the API (and `1e400`, which JSON.parse makes Infinity). */
export const hugeNumber = based((route, base) =>
  fc
    .tuple(
      place,
      fc.constantFrom(
        '1e400',
        '-1e400',
        '1e308',
        '-1.7976931348623157e308',
        '123456789012345678901234567890',
        '1e21',
        '-1e21',
      ),
      fc.boolean(),
    )
    .map(([pick, text, asKey]) => ({
      route,
      body: inject(base, pick, text, asKey ? '"n"' : undefined),
      kind: 'huge number',
    })),
);
/** Longer than every string limit (the 64 KiB target body included). */
export const hugeString = based((route, base) =>
  fc
    .tuple(
      place,
      fc.integer({ min: 66_000, max: 300_000 }),
      fc.constantFrom('a', 'é', '😀', '"', '\\n'),
      fc.boolean(),
    )
    .map(([pick, length, unit, asKey]) => {
      const text = JSON.stringify(unit === '\\n' ? '\n'.repeat(length) : unit.repeat(length));
      return { route, body: inject(base, pick, text, asKey ? '"s"' : undefined), kind: 'huge string' };
    }),
);
export const loneSurrogate = based((route, base) =>
  fc
    .tuple(place, fc.constantFrom('"\\ud800"', '"x\\udfff"', '"\\udbff\\u0041"'), fc.boolean())
    .map(([pick, text, asKey]) => ({
      route,
      body: asKey ? inject(base, pick, '1', text) : inject(base, pick, text),
      kind: 'lone surrogate',
    })),
);
export const invalidUtf8 = based((route, base) =>
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        [0xff],
        [0x80],
        [0xc3, 0x28],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xe2, 0x82],
      ),
    )
    .map(([at, bad]) => {
      const bytes = Buffer.from(JSON.stringify(base), 'utf8');
      const i = at % (bytes.length + 1);
      const body = Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]);
      return { route, body: body.toString('base64'), base64: true, kind: 'invalid UTF-8' };
    }),
);
export const wrongContentType = based((route, base) =>
  fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'text/json',
      'application/jsonp',
      '',
    )
    .map((contentType) => ({ route, body: JSON.stringify(base), contentType, kind: 'wrong content type' })),
);
export const truncated = based((route, base) =>
  fc.nat().map((at) => {
    const text = JSON.stringify(base);
    // Never empty: no body at all is a valid trigger.
    return { route, body: text.slice(0, 1 + (at % (text.length - 1))), kind: 'truncated JSON' };
  }),
);
export const wrongShape = based((route, base) =>
  fc
    .constantFrom('[]', '"job"', '42', 'null', 'true', `[${JSON.stringify(base)}]`, '{"schedule":')
    .map((body) => ({ route, body, kind: 'not an object' })),
);
export const hostile = fc.oneof(
  protoKey,
  deepNesting,
  hugeNumber,
  hugeString,
  loneSurrogate,
  invalidUtf8,
  wrongContentType,
  truncated,
  wrongShape,
);
// ── random and mutated requests: may be valid, must never break anything ─────────────────────────
export const randomBody = fc.oneof(
  routeArb.chain((route) => fc.jsonValue().map((v) => ({ route, body: JSON.stringify(v) ?? 'null' }))),
  // Random code points (lone surrogates included) as text, and random bytes as a base64 body.
  routeArb.chain((route) =>
    fc
      .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 200 })
      .map((points) => ({ route, body: String.fromCodePoint(...points) })),
  ),
  routeArb.chain((route) =>
    fc
      .uint8Array({ maxLength: 200 })
      .map((bytes) => ({ route, body: Buffer.from(bytes).toString('base64'), base64: true })),
  ),
  based((route, base) =>
    fc.tuple(place, fc.jsonValue({ maxDepth: 3 })).map(([pick, value]) => {
      const places = placesOf(base);
      const at = places[pick % places.length]!;
      return { route, body: JSON.stringify(setAt(base, at.path, value as Json)) };
    }),
  ),
  based((route, base) =>
    fc.tuple(place, fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })).map(([pick, key, value]) => ({
      route,
      body: inject(base, pick, JSON.stringify(value), JSON.stringify(key)),
    })),
  ),
);
// ── hostile ids, cursors and headers ─────────────────────────────────────────────────────────────
export const JOB_ID = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;
export const EXECUTION_ID = /^job_[0-9A-HJKMNP-TV-Z]{26}:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Ids no job or execution can have: too long, wrong shape, near misses of the real shapes. */
export const hostileId = fc.oneof(
  fc.integer({ min: 200, max: 5000 }).map((n) => 'j'.repeat(n)),
  fc.integer({ min: 1, max: 3000 }).map((n) => `job_01HZZZZZZZZZZZZZZZZZZZZZZZ${'Z'.repeat(n)}`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `job_01HZZZZZZZZZZZZZZZZZZZZZZZ:${'9'.repeat(n)}`),
  fc.constantFrom(
    'job_',
    'job_01hzzzzzzzzzzzzzzzzzzzzzzz',
    'job_01HZZZZZZZZZZZZZZZZZZZZZZU',
    'job_01HZZZZZZZZZZZZZZZZZZZZZZZ:',
    'job_01HZZZZZZZZZZZZZZZZZZZZZZZ:not-a-date',
    'job_01HZZZZZZZZZZZZZZZZZZZZZZZ:2026-13-45T99:00:00.000Z',
    'job_01HZZZZZZZZZZZZZZZZZZZZZZZ:2026-05-01T12:00:00Z',
    '#watermark#0',
    '#slots#job_01HZZZZZZZZZZZZZZZZZZZZZZZ',
    '..',
    ' ',
    '\u0000',
    '\u202e',
  ),
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }),
);
export const idRoutes: [string, (id: string) => string, 'job' | 'execution'][] = [
  ['GET', (id) => `/v1/jobs/${id}`, 'job'],
  ['DELETE', (id) => `/v1/jobs/${id}`, 'job'],
  ['PATCH', (id) => `/v1/jobs/${id}`, 'job'],
  ['POST', (id) => `/v1/jobs/${id}/pause`, 'job'],
  ['POST', (id) => `/v1/jobs/${id}/resume`, 'job'],
  ['POST', (id) => `/v1/jobs/${id}/trigger`, 'job'],
  ['GET', (id) => `/v1/jobs/${id}/executions`, 'job'],
  ['GET', (id) => `/v1/executions/${id}`, 'execution'],
  ['POST', (id) => `/v1/executions/${id}/cancel`, 'execution'],
  ['POST', (id) => `/v1/executions/${id}/heartbeat`, 'execution'],
  ['POST', (id) => `/v1/executions/${id}/complete`, 'execution'],
  ['POST', (id) => `/v1/dead-letters/${id}/replay`, 'execution'],
];
export const idRequest = fc
  .tuple(fc.nat(idRoutes.length - 1), hostileId, fc.boolean())
  .map(([i, id, encode]) => {
    const [method, path] = idRoutes[i]!;
    // Unencoded, only what would end the path segment is escaped: `/`, `?`, `#` and `%` itself.
    const raw = id.replace(/[/?#%]/g, (c) => encodeURIComponent(c));
    return { method, path: path(encode ? encodeURIComponent(id) : raw) };
  });
export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
/** Cursors a client could forge: other shapes of DynamoDB keys, other lists' cursors, junk. */
export const forgedCursor = fc
  .oneof(
    fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(b64),
    fc
      .record(
        {
          jobId: fc.oneof(fc.string(), fc.integer(), fc.constant('')),
          tenant: fc.oneof(fc.constant('team-a'), fc.constant('team-b'), fc.integer()),
          createdKey: fc.oneof(fc.string(), fc.double(), fc.string({ minLength: 1100, maxLength: 3000 })),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      )
      .map(b64),
    fc.record({ j: fc.string(), b: fc.string() }).map(b64),
    fc.jsonValue().map(b64),
    fc.string({ maxLength: 100 }),
    fc.base64String({ maxLength: 200 }),
  )
  .filter((cursor) => cursor !== ''); // no cursor at all is the first page
export const cursorRoutes = ['/v1/jobs', '/v1/dead-letters'] as const;
/** Header values a client could send to the routes that read headers (If-Match, Idempotency-Key, tokens). */
export const hostileHeaderValue = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 2000 }).map((n) => Array.from({ length: n }, (_, i) => `"${i}"`).join(',')),
  fc.constantFrom('*', 'W/"1"', '"1", *', '"99999999999999999999"', '"-1"', 'Bearer ', 'bearer \u0000'),
);
export const headerName = fc.constantFrom(
  'if-match',
  'idempotency-key',
  'content-type',
  'authorization',
  'x-scheduler-callback-token',
);
// ── the harness ──────────────────────────────────────────────────────────────────────────────────
export interface Answer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: error bodies are read as arbitrary JSON
  body: any;
}
/** createApi over the memory stores (as test/support/api-harness.ts), taking raw and base64 bodies. */
export function fuzzApi() {
  const f = fakeDeps(NOW);
  const api = apiOver(f.deps, {
    log: silentLogger,
    idempotency: { store: f.idempotency, clock: f.clock },
    // The fuzz sends thousands of requests as one tenant: the rate limit is not what it tests.
    rateLimit: new TenantRateLimiter({ ratePerSecond: 1e9, burst: 1e9 }),
  });
  // DynamoDB refuses a key over 1 KiB (2 KiB for a partition key) with an exception; the fakes do
  // too, and remember every id that is not the shape of an id, which must never get this far.
  const malformedReads: string[] = [];
  const guardKey = (id: string, shape: RegExp) => {
    if (!shape.test(id)) malformedReads.push(id);
    if (Buffer.byteLength(id, 'utf8') > 1024)
      throw Object.assign(new Error('Key attribute value is too long'), { name: 'ValidationException' });
  };
  const { jobs, executions } = f;
  const getJob = jobs.getJob.bind(jobs);
  jobs.getJob = async (id) => {
    guardKey(id, JOB_ID);
    return getJob(id);
  };
  const getExecution = executions.getExecution.bind(executions);
  executions.getExecution = async (id) => {
    guardKey(id, EXECUTION_ID);
    return getExecution(id);
  };
  async function call(
    method: string,
    path: string,
    request: Omit<Request, 'route'>,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const [rawPath = '/', query = ''] = path.split('?');
    const event = {
      version: '2.0',
      rawPath,
      headers: { 'content-type': request.contentType ?? 'application/json', ...headers },
      ...(query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) } : {}),
      requestContext: {
        http: { method, path: rawPath },
        authorizer: { lambda: { tenant: 'team-a' } },
      },
      body: request.body,
      isBase64Encoded: request.base64 === true,
    } as unknown as APIGatewayProxyEventV2;
    return answerOf(await api(event));
  }
  return { ...f, call, malformedReads };
}
export type FuzzApi = ReturnType<typeof fuzzApi>;
/** A fresh API with one job of its tenant, for PATCH and trigger to aim at. */
export async function freshApi() {
  const h = fuzzApi();
  const created = await h.call('POST', '/v1/jobs', {
    body: JSON.stringify({
      schedule: { type: 'cron', expression: '0 15 * * *' },
      target: { url: 'https://example.com/hook' },
    }),
  });
  if (created.status !== 201) throw new Error(`setup job not created: ${created.status}`);
  return { h, jobId: created.body.id as string };
}
export function snapshot(h: FuzzApi) {
  return structuredClone({
    jobs: [...h.jobs.items],
    executions: [...h.executions.items],
    sent: h.queue.sent,
    dependents: [...h.jobs.dependents],
    rounds: [...h.jobs.rounds],
    slots: [...h.jobs.slots],
    idempotency: [...h.idempotency.records],
  });
}
export function send(h: FuzzApi, jobId: string, request: Request): Promise<Answer> {
  const [method, path] = {
    create: ['POST', '/v1/jobs'],
    patch: ['PATCH', `/v1/jobs/${jobId}`],
    trigger: ['POST', `/v1/jobs/${jobId}/trigger`],
    preview: ['POST', '/v1/schedules/preview'],
  }[request.route] as [string, string];
  return h.call(method, path, request);
}
export function expectClearError(response: Answer) {
  expect(response.headers['content-type']).toBe('application/json');
  expect(typeof response.body?.error?.code).toBe('string');
  expect(typeof response.body?.error?.message).toBe('string');
  expect(response.body.error.message.length).toBeGreaterThan(0);
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|Error:/);
}
export function count(status: number) {
  const key = `${Math.floor(status / 100)}xx`;
  statusClasses[key] = (statusClasses[key] ?? 0) + 1;
}
