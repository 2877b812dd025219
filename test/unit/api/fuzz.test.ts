import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../../lambdas/adapters/dynamo-common.js';
import { InvalidCursor } from '../../../lambdas/core/errors.js';
import {
  baseFor,
  count,
  cursorRoutes,
  expectClearError,
  forgedCursor,
  freshApi,
  headerName,
  hostile,
  hostileHeaderValue,
  idRequest,
  kinds,
  RUNS,
  randomBody,
  routeArb,
  SEED,
  send,
  snapshot,
  statusClasses,
  TIMEOUT_MS,
} from '../../support/api-fuzz.js';

afterAll(() => {
  const total = Object.values(statusClasses).reduce((a, b) => a + b, 0);
  console.info(`api fuzz: ${total} requests, by status class ${JSON.stringify(statusClasses)}`);
  console.info(`api fuzz: hostile cases by kind ${JSON.stringify(kinds)}`);
});

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

  it(
    'answers a hostile id in every path with a 4xx (404 for the shape of no id) before any store read',
    async () => {
      const { h, jobId } = await freshApi();
      const before = snapshot(h);
      await fc.assert(
        fc.asyncProperty(idRequest, async ({ method, path }) => {
          kinds['hostile id'] = (kinds['hostile id'] ?? 0) + 1;
          const body =
            method === 'PATCH'
              ? '{"name":"x"}'
              : method === 'POST' && path.endsWith('/complete')
                ? '{"status":"succeeded"}'
                : undefined;
          const response = await h.call(method, path, { body: body ?? '' });
          count(response.status);
          expect(
            response.status,
            `${method} ${path.slice(0, 120)}: ${JSON.stringify(response.body)}`,
          ).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          expect([400, 404]).toContain(response.status);
          expectClearError(response);
          expect(response.body.error.message.length).toBeLessThan(300);
          expect(snapshot(h)).toEqual(before);
          expect(h.malformedReads).toEqual([]);
        }),
        { numRuns: RUNS.hostile, seed: SEED },
      );
      expect((await h.call('GET', `/v1/jobs/${jobId}`, { body: '' })).status).toBe(200);
    },
    TIMEOUT_MS,
  );

  it(
    'answers a forged list cursor with 400 (invalid_cursor when it has the shape of one) and stores nothing',
    async () => {
      const { h } = await freshApi();
      const before = snapshot(h);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...cursorRoutes), forgedCursor, async (route, cursor) => {
          kinds['forged cursor'] = (kinds['forged cursor'] ?? 0) + 1;
          const response = await h.call('GET', `${route}?cursor=${encodeURIComponent(cursor)}`, { body: '' });
          count(response.status);
          expect(response.status, `${route} ${cursor.slice(0, 80)}: ${JSON.stringify(response.body)}`).toBe(
            400,
          );
          expectClearError(response);
          if (cursor.length <= 2048) expect(response.body.error.code).toBe('invalid_cursor');
          expect(snapshot(h)).toEqual(before);
        }),
        { numRuns: RUNS.random, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );

  it('decodes a DynamoDB cursor only into exactly the key it was made from, else InvalidCursor', () => {
    const shape = { keys: ['jobId', 'tenant', 'createdKey'], partition: { name: 'tenant', value: 'team-a' } };
    fc.assert(
      fc.property(forgedCursor, (cursor) => {
        kinds['forged cursor (adapter)'] = (kinds['forged cursor (adapter)'] ?? 0) + 1;
        let key: Record<string, unknown> | undefined;
        try {
          key = decodeCursor(cursor, shape);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidCursor);
          return;
        }
        if (key === undefined) return;
        expect(Object.keys(key).sort()).toEqual([...shape.keys].sort());
        expect(key.tenant).toBe('team-a');
        for (const value of Object.values(key)) {
          expect(typeof value).toBe('string');
          expect((value as string).length).toBeGreaterThan(0);
          expect(Buffer.byteLength(value as string, 'utf8')).toBeLessThanOrEqual(1024);
        }
      }),
      { numRuns: RUNS.hostile, seed: SEED },
    );
  });

  it(
    'never answers a hostile If-Match, Idempotency-Key, Content-Type or token header with a 5xx',
    async () => {
      const { h, jobId } = await freshApi();
      const routes: [string, string, string | undefined][] = [
        ['PATCH', `/v1/jobs/${jobId}`, '{"timeoutSeconds":7}'],
        ['DELETE', `/v1/jobs/${jobId}`, undefined],
        ['POST', `/v1/jobs/${jobId}/pause`, undefined],
        ['POST', `/v1/jobs/${jobId}/resume`, undefined],
        ['POST', `/v1/jobs/${jobId}/trigger`, undefined],
        [
          'POST',
          '/v1/jobs',
          '{"schedule":{"type":"cron","expression":"0 9 * * *"},"target":{"url":"https://example.com/"}}',
        ],
        ['POST', `/v1/executions/${jobId}:2026-05-01T12:00:00.000Z/heartbeat`, undefined],
        ['POST', `/v1/executions/${jobId}:2026-05-01T12:00:00.000Z/complete`, '{"status":"failed"}'],
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.nat(routes.length - 1),
          fc.dictionary(headerName, hostileHeaderValue, { minKeys: 1, maxKeys: 3 }),
          async (i, headers) => {
            kinds['hostile header'] = (kinds['hostile header'] ?? 0) + 1;
            const [method, path, body] = routes[i]!;
            const response = await h.call(method, path, { body: body ?? '' }, headers);
            count(response.status);
            expect(
              response.status,
              `${method} ${path} ${JSON.stringify(headers).slice(0, 200)}`,
            ).toBeLessThan(500);
            if (response.status >= 400) expectClearError(response);
          },
        ),
        { numRuns: RUNS.random, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );
});
