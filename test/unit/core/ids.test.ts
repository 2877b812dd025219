import { describe, expect, it } from 'vitest';
import { executionIdFor, newJobId, scheduledRunOf } from '../../../lambdas/core/ids.js';

const T0 = Date.parse('2026-03-08T06:59:30.250Z');

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
