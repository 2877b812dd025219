import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryable } from '../../lambdas/core/backoff.js';
import { hourOf, hoursBetween, shardOf } from '../../lambdas/core/buckets.js';
import { executionIdFor, newJobId, scheduledRunOf } from '../../lambdas/core/ids.js';
import { jitterOffsetMs } from '../../lambdas/core/jitter.js';
import { signatureHeader, verifySignature } from '../../lambdas/core/signing.js';
import { canTransitionExecution, canTransitionJob, isFinal } from '../../lambdas/core/states.js';
import { RetryPolicy } from '../../schemas/job.js';

const T0 = Date.parse('2026-03-08T06:59:30.250Z');

describe('buckets', () => {
  it.each([
    ['2026-03-08T06:59:30.250Z', '2026-03-08T06'],
    ['2026-03-08T07:00:00.000Z', '2026-03-08T07'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23'],
  ])('hourOf(%s) is %s', (instant, hour) => {
    expect(hourOf(Date.parse(instant))).toBe(hour);
  });

  it('lists the hours from a watermark through an instant, across a day boundary', () => {
    expect(hoursBetween('2026-03-08T22', Date.parse('2026-03-09T01:10:00.000Z'))).toEqual([
      '2026-03-08T22',
      '2026-03-08T23',
      '2026-03-09T00',
      '2026-03-09T01',
    ]);
    expect(hoursBetween('2026-03-09T02', Date.parse('2026-03-09T01:10:00.000Z'))).toEqual([]);
  });

  it('spreads job ids over every shard, stably', () => {
    const counts = new Array(16).fill(0);
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 4000; i++) counts[shardOf(newJobId(T0 + i, random), 16)]++;
    for (const c of counts) expect(c).toBeGreaterThan(150);
    expect(shardOf('job_01JABCDEFGHJKMNPQRSTVWXYZ0', 16)).toBe(shardOf('job_01JABCDEFGHJKMNPQRSTVWXYZ0', 16));
  });
});

describe('ids', () => {
  it('makes sortable job ids from the injected clock and randomness', () => {
    const a = newJobId(T0, () => 0.5);
    const b = newJobId(T0 + 1, () => 0.5);
    expect(a).toMatch(/^job_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
    expect(newJobId(T0, () => 0.5)).toBe(a);
  });

  it('derives the execution id from job and scheduled instant, and back', () => {
    const id = executionIdFor('job_X', '2026-03-08T07:00:00.000Z');
    expect(id).toBe('job_X:2026-03-08T07:00:00.000Z');
    expect(scheduledRunOf(id)).toEqual({ jobId: 'job_X', scheduledAt: '2026-03-08T07:00:00.000Z' });
    expect(scheduledRunOf('job_X')).toBeNull();
    expect(scheduledRunOf('job_X:not-a-time')).toBeNull();
  });
});

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

describe('jitter', () => {
  it('is zero without jitter and stable per execution id within [0, n) s', () => {
    expect(jitterOffsetMs('job_X:2026-03-08T07:00:00.000Z', 0)).toBe(0);
    const a = jitterOffsetMs('job_X:2026-03-08T07:00:00.000Z', 30);
    expect(a).toBe(jitterOffsetMs('job_X:2026-03-08T07:00:00.000Z', 30));
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(30_000);
    const spread = new Set(Array.from({ length: 50 }, (_, i) => jitterOffsetMs(`job_X:${i}`, 30)));
    expect(spread.size).toBeGreaterThan(40);
  });
});

describe('signing', () => {
  it('signs t.body with HMAC-SHA256 and verifies with any current secret', () => {
    const header = signatureHeader('s1', 1_700_000_000, '{"a":1}');
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, '{"a":1}', ['s0', 's1'], 1_700_000_010)).toBe(true);
    expect(verifySignature(header, '{"a":2}', ['s1'], 1_700_000_010)).toBe(false);
    expect(verifySignature(header, '{"a":1}', ['other'], 1_700_000_010)).toBe(false);
    expect(verifySignature(header, '{"a":1}', ['s1'], 1_700_001_000)).toBe(false);
    expect(verifySignature('garbage', '{"a":1}', ['s1'], 1_700_000_010)).toBe(false);
  });
});

describe('transitions', () => {
  it('knows final states', () => {
    expect(
      ['succeeded', 'failed', 'timed_out', 'cancelled', 'dead', 'skipped'].every((s) => isFinal(s as never)),
    ).toBe(true);
    expect(isFinal('queued')).toBe(false);
    expect(isFinal('running')).toBe(false);
  });

  it.each([
    ['queued', 'running', true],
    ['running', 'succeeded', true],
    ['running', 'queued', true],
    ['succeeded', 'running', false],
    ['dead', 'queued', true],
    ['cancelled', 'queued', false],
  ] as const)('execution %s → %s: %s', (from, to, allowed) => {
    expect(canTransitionExecution(from, to)).toBe(allowed);
  });

  it.each([
    ['active', 'paused', true],
    ['paused', 'active', true],
    ['cancelled', 'active', false],
    ['completed', 'active', false],
  ] as const)('job %s → %s: %s', (from, to, allowed) => {
    expect(canTransitionJob(from, to)).toBe(allowed);
  });
});
