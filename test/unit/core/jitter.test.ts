import { describe, expect, it } from 'vitest';
import { jitterOffsetMs } from '../../../lambdas/core/jitter.js';

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
