import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryable } from '../../../lambdas/core/backoff.js';
import { RetryPolicy } from '../../../schemas/job.js';

describe('backoff', () => {
  const policy = RetryPolicy.parse({ initialDelaySeconds: 1, maxDelaySeconds: 10, jitter: 'none' });

  it.each([
    [2, 1000],
    [3, 2000],
    [4, 4000],
    [5, 8000],
    [6, 10000],
    [30, 10000],
  ])('waits before attempt %i: %i ms without jitter', (attempt, expected) => {
    expect(backoffDelayMs(policy, attempt, () => 0.5)).toBe(expected);
  });

  it('draws full jitter uniformly below the capped delay', () => {
    const full = RetryPolicy.parse({ initialDelaySeconds: 1, maxDelaySeconds: 10, jitter: 'full' });
    expect(backoffDelayMs(full, 4, () => 0)).toBe(0);
    expect(backoffDelayMs(full, 4, () => 0.5)).toBe(2000);
    expect(backoffDelayMs(full, 4, () => 0.999)).toBeLessThanOrEqual(4000);
  });

  it('keeps a fixed delay fixed', () => {
    const fixed = RetryPolicy.parse({
      backoff: 'fixed',
      initialDelaySeconds: 3,
      maxDelaySeconds: 10,
      jitter: 'none',
    });
    expect(backoffDelayMs(fixed, 5, () => 0)).toBe(3000);
  });

  it.each([
    [null, true],
    [500, true],
    [503, true],
    [408, true],
    [429, true],
    [400, false],
    [404, false],
  ])('retries status %s: %s', (statusCode, expected) => {
    expect(isRetryable({ statusCode, timedOut: false }, policy)).toBe(expected);
  });

  it.each([301, 302, 303, 307, 308])(
    'never retries a redirect (%s), even when the job retries 4xx',
    (statusCode) => {
      expect(isRetryable({ statusCode, timedOut: false }, policy)).toBe(false);
      expect(isRetryable({ statusCode, timedOut: false }, { ...policy, retryOn4xx: true })).toBe(false);
    },
  );

  it('retries other 4xx only when the job opts in', () => {
    expect(isRetryable({ statusCode: 404, timedOut: false }, { ...policy, retryOn4xx: true })).toBe(true);
  });
});
