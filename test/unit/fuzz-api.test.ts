import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createApi } from '../../lambdas/api/app.js';
import { TenantRateLimiter } from '../../lambdas/api/rate-limit.js';
import { silentLogger } from '../../lambdas/services/deps.js';
import { ExecuteService } from '../../lambdas/services/execute-service.js';
import { JobsService } from '../../lambdas/services/jobs-service.js';
import { MAX_TIMEOUT_SECONDS } from '../../schemas/job.js';
import { fakeDeps } from '../support/services.js';

/**
 * Property-based fuzzing of the API in process (createApi over the memory stores): hostile bodies
 * for create, PATCH, trigger and preview are always a clear 4xx that stores nothing; random and
 * mutated bodies never cause a 5xx or a throw, and store nothing unless accepted.
 */

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
/**
 * Runs per property: the file takes a few seconds on a loaded 2-core machine. A fixed seed keeps CI
 * repeatable; explore further with e.g. `FUZZ_SEED=$RANDOM FUZZ_SCALE=20 npx vitest run <this file>`.
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = { valid: 60 * SCALE, hostile: 1000 * SCALE, random: 500 * SCALE };
const SEED = Number(process.env.FUZZ_SEED ?? 0x5ec9);
const TIMEOUT_MS = 60_000 * SCALE;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Route = 'create' | 'patch' | 'trigger' | 'preview';
interface Request {
  route: Route;
  body: string;
  base64?: boolean;
  contentType?: string;
}

const statusClasses: Record<string, number> = {};
const kinds: Record<string, number> = {};
afterAll(() => {
  const total = Object.values(statusClasses).reduce((a, b) => a + b, 0);
  console.info(`api fuzz: ${total} requests, by status class ${JSON.stringify(statusClasses)}`);
  console.info(`api fuzz: hostile cases by kind ${JSON.stringify(kinds)}`);
});

// ── valid bases ────────────────────────────────────────────────────────────────────────────────
const schedule = fc.oneof(
  fc.constant({ type: 'immediate' }),
  fc.record({
    type: fc.constant('cron'),
    expression: fc.constantFrom('0 9 * * *', '*/5 * * * *', '30 2 * * 1-5', '0 0 1 * *'),
    timezone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'),
  }),
  fc.record({ type: fc.constant('rate'), everySeconds: fc.integer({ min: 1, max: 86_400 }) }),
  fc.constant({ type: 'once', at: '2026-05-02T00:00:00.000Z' }),
);
const target = fc.record(
  {
    url: fc.constantFrom('https://example.com/hook', 'http://api.example.org/x?y=1'),
    method: fc.constantFrom('GET', 'POST', 'PUT'),
    headers: fc.constantFrom({}, { 'x-team': 'data', authorization: 'Bearer t' }),
    body: fc.constantFrom('{"a":1}', ''),
  },
  { requiredKeys: ['url'] },
);
const createBody = fc.record(
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
const patchBody = fc.oneof(
  fc.record({ name: fc.string({ minLength: 1, maxLength: 40 }) }),
  fc.record({ timeoutSeconds: fc.integer({ min: 1, max: MAX_TIMEOUT_SECONDS }) }),
  fc.record({ schedule }),
  fc.record({ target, priority: fc.constantFrom('high', 'low') }),
);
const previewBody = fc.record(
  { schedule, count: fc.integer({ min: 1, max: 20 }), from: fc.constant('2026-03-07T00:00:00Z') },
  { requiredKeys: ['schedule'] },
);
const baseFor = (route: Route): fc.Arbitrary<Json> =>
  ({ create: createBody, patch: patchBody, trigger: fc.constant({}), preview: previewBody })[
    route
  ] as fc.Arbitrary<Json>;
const routeArb = fc.constantFrom<Route>('create', 'patch', 'trigger', 'preview');
const based = <T>(make: (route: Route, base: Json) => fc.Arbitrary<T>) =>
  routeArb.chain((route) => baseFor(route).chain((base) => make(route, base)));

// ── tree helpers: every place a hostile value can go ─────────────────────────────────────────────
type Path = (string | number)[];

/** Paths of every value in the tree (the root is `[]`), and whether each is an object. */
function placesOf(value: Json, path: Path = [], out: { path: Path; object: boolean }[] = []) {
  const object = typeof value === 'object' && value !== null && !Array.isArray(value);
  out.push({ path, object });
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) placesOf(v, [...path, i], out);
  } else if (object) for (const [k, v] of Object.entries(value)) placesOf(v, [...path, k], out);
  return out;
}

function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  node[path.at(-1)!] = value;
  return copy as Json;
}

const MARK = '\u0000HOSTILE\u0000';
const MARK_TEXT = JSON.stringify(MARK);

/** JSON text of `base` with raw `text` at a place: replacing a value, or under a new key `keyText`. */
function inject(base: Json, pick: number, text: string, keyText?: string): string {
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
const place = fc.nat();
const jsonValue = fc.jsonValue({ maxDepth: 2 });

const protoKey = based((route, base) =>
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

const deepNesting = based((route, base) =>
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
const hugeNumber = based((route, base) =>
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
const hugeString = based((route, base) =>
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

const loneSurrogate = based((route, base) =>
  fc
    .tuple(place, fc.constantFrom('"\\ud800"', '"x\\udfff"', '"\\udbff\\u0041"'), fc.boolean())
    .map(([pick, text, asKey]) => ({
      route,
      body: asKey ? inject(base, pick, '1', text) : inject(base, pick, text),
      kind: 'lone surrogate',
    })),
);

const invalidUtf8 = based((route, base) =>
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

const wrongContentType = based((route, base) =>
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

const truncated = based((route, base) =>
  fc.nat().map((at) => {
    const text = JSON.stringify(base);
    // Never empty: no body at all is a valid trigger.
    return { route, body: text.slice(0, 1 + (at % (text.length - 1))), kind: 'truncated JSON' };
  }),
);

const wrongShape = based((route, base) =>
  fc
    .constantFrom('[]', '"job"', '42', 'null', 'true', `[${JSON.stringify(base)}]`, '{"schedule":')
    .map((body) => ({ route, body, kind: 'not an object' })),
);

const hostile = fc.oneof(
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
const randomBody = fc.oneof(
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

// ── the harness ──────────────────────────────────────────────────────────────────────────────────
interface Answer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: error bodies are read as arbitrary JSON
  body: any;
}

/** createApi over the memory stores (as test/support/api-harness.ts), taking raw and base64 bodies. */
function fuzzApi() {
  const f = fakeDeps(NOW);
  const api = createApi({
    service: new JobsService(f.deps),
    callbacks: new ExecuteService(f.deps, 'exec-fuzz'),
    health: async () => {},
    log: silentLogger,
    idempotency: { store: f.idempotency, clock: f.clock },
    // The fuzz sends thousands of requests as one tenant: the rate limit is not what it tests.
    rateLimit: new TenantRateLimiter({ ratePerSecond: 1e9, burst: 1e9 }),
  });
  async function call(method: string, path: string, request: Omit<Request, 'route'>): Promise<Answer> {
    const event = {
      version: '2.0',
      rawPath: path,
      headers: { 'content-type': request.contentType ?? 'application/json' },
      requestContext: { http: { method, path }, authorizer: { lambda: { tenant: 'team-a' } } },
      body: request.body,
      isBase64Encoded: request.base64 === true,
    } as unknown as APIGatewayProxyEventV2;
    const result = await api(event);
    return {
      status: result.statusCode ?? 200,
      headers: (result.headers ?? {}) as Record<string, string>,
      body: result.body ? JSON.parse(result.body) : undefined,
    };
  }
  return { ...f, call };
}

type FuzzApi = ReturnType<typeof fuzzApi>;

/** A fresh API with one job of its tenant, for PATCH and trigger to aim at. */
async function freshApi() {
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

function snapshot(h: FuzzApi) {
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

function send(h: FuzzApi, jobId: string, request: Request): Promise<Answer> {
  const [method, path] = {
    create: ['POST', '/v1/jobs'],
    patch: ['PATCH', `/v1/jobs/${jobId}`],
    trigger: ['POST', `/v1/jobs/${jobId}/trigger`],
    preview: ['POST', '/v1/schedules/preview'],
  }[request.route] as [string, string];
  return h.call(method, path, request);
}

function expectClearError(response: Answer) {
  expect(response.headers['content-type']).toBe('application/json');
  expect(typeof response.body?.error?.code).toBe('string');
  expect(typeof response.body?.error?.message).toBe('string');
  expect(response.body.error.message.length).toBeGreaterThan(0);
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|Error:/);
}

function count(status: number) {
  const key = `${Math.floor(status / 100)}xx`;
  statusClasses[key] = (statusClasses[key] ?? 0) + 1;
}

describe('API fuzz (fast-check)', () => {
  it(
    'accepts the valid bases the hostile cases start from',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          routeArb.chain((route) => baseFor(route).map((base) => ({ route, body: JSON.stringify(base) }))),
          async (request) => {
            const { h, jobId } = await freshApi();
            const response = await send(h, jobId, request);
            count(response.status);
            expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
          },
        ),
        { numRuns: RUNS.valid, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers every hostile body with a clear 4xx and stores nothing',
    async () => {
      const { h, jobId } = await freshApi();
      const before = snapshot(h);
      await fc.assert(
        fc.asyncProperty(hostile, async (request) => {
          kinds[request.kind] = (kinds[request.kind] ?? 0) + 1;
          const response = await send(h, jobId, request);
          count(response.status);
          expect(response.status, `${request.kind}: ${JSON.stringify(response.body)}`).toBeGreaterThanOrEqual(
            400,
          );
          expect(response.status).toBeLessThan(500);
          expectClearError(response);
          expect(snapshot(h)).toEqual(before);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: RUNS.hostile, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'never answers a random or mutated body with a 5xx, and stores nothing it refuses',
    async () => {
      const { h, jobId } = await freshApi();
      await fc.assert(
        fc.asyncProperty(randomBody, async (request) => {
          const before = snapshot(h);
          const response = await send(h, jobId, request);
          count(response.status);
          expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
          if (response.status >= 400) {
            expectClearError(response);
            expect(snapshot(h)).toEqual(before);
          }
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: RUNS.random, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );
});
