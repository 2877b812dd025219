import { describe, expect, it } from 'vitest';
import { apiHarness, cronSchedule } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const BODY = { schedule: cronSchedule('0 15 * * *'), target: { url: 'https://example.com/hook' } };

/** An error shaped as the AWS SDK throws it: a service exception with its HTTP metadata. */
function sdkError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`${name}: rate of requests exceeds the allowed throughput`), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
}

/** A create whose job write fails with `error`: the answer, and whether a job was stored. */
async function createFailingWith(error: Error) {
  const h = apiHarness(NOW);
  h.jobs.beforeWrite = (operation) => {
    if (operation === 'createJob') throw error;
  };
  const res = await h.request('POST', '/v1/jobs', BODY);
  return { res, stored: h.jobs.items.size };
}

describe('API: a dependency that is throttled or down', () => {
  it('answers 503 service_unavailable with Retry-After when DynamoDB throttles, and stores nothing', async () => {
    const { res, stored } = await createFailingWith(sdkError('ProvisionedThroughputExceededException', 400));
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After'] ?? res.headers['retry-after']).toBe('1');
    expect(res.body.error.code).toBe('service_unavailable');
    expect(JSON.stringify(res.body)).not.toMatch(/Exception|at .*\.ts/);
    expect(stored).toBe(0);
  });

  it('answers 503 when the service fails (5xx) or cannot be reached', async () => {
    expect((await createFailingWith(sdkError('InternalServerError', 500))).res.status).toBe(503);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    expect((await createFailingWith(refused)).res.status).toBe(503);
  });

  it('keeps 500 internal_error, without internals, for a fault of its own or a request AWS refused', async () => {
    for (const error of [
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      sdkError('AccessDeniedException', 400),
    ]) {
      const { res } = await createFailingWith(error);
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('internal_error');
      expect(JSON.stringify(res.body)).not.toMatch(/TypeError|AccessDenied|at .*\.ts/);
    }
  });
});
