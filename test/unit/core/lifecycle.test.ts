import { describe, expect, it } from 'vitest';
import {
  applyJobPatch,
  isRunOfCurrentPlan,
  missedSince,
  RESUME_LOOKBACK_MS,
  withNewPlan,
} from '../../../lambdas/core/lifecycle.js';
import { CreateJobBody, PatchJobBody } from '../../../schemas/job.js';
import type { RunMessage } from '../../../schemas/messages.js';
import type { JobRecord } from '../../../schemas/records.js';

const at = (s: string) => Date.parse(s);

describe('lifecycle core', () => {
  it('tells a run of the current plan from one queued under an older plan', () => {
    const cases: [number | undefined, Partial<RunMessage>, boolean][] = [
      [undefined, { trigger: 'schedule', attempt: 1 }, true], // neither knows revisions: both 0
      [undefined, { trigger: 'schedule', attempt: 1, plan: 0 }, true],
      [2, { trigger: 'schedule', attempt: 1, plan: 2 }, true],
      [2, { trigger: 'schedule', attempt: 1, plan: 1 }, false],
      [1, { trigger: 'schedule', attempt: 1 }, false], // sent before revisions, planned before the change
      [2, { trigger: 'schedule', attempt: 2, plan: 1 }, true], // a retry: the run was under way
      [2, { trigger: 'manual', attempt: 1, plan: 1 }, true],
      [2, { trigger: 'replay', attempt: 3, plan: 1 }, true],
      [2, { trigger: 'dependency', attempt: 1, plan: 1 }, true],
    ];
    for (const [planRev, message, expected] of cases) {
      const job = planRev === undefined ? {} : { planRev };
      expect(
        isRunOfCurrentPlan(job, message as RunMessage),
        `${JSON.stringify(job)} ${JSON.stringify(message)}`,
      ).toBe(expected);
    }
    expect(withNewPlan<{ planRev?: number }>({}).planRev).toBe(1);
    expect(withNewPlan({ planRev: 4 }).planRev).toBe(5);
  });

  it('counts missed runs from the pause, with a look-back, or from a later schedule change', () => {
    const pausedAt = '2026-05-01T12:00:00.000Z';
    expect(missedSince({ pausedAt, updatedAt: pausedAt })).toBe(at(pausedAt) - RESUME_LOOKBACK_MS);
    expect(
      missedSince({ pausedAt, updatedAt: pausedAt, scheduleChangedAt: '2026-05-01T11:00:00.000Z' }),
    ).toBe(at(pausedAt) - RESUME_LOOKBACK_MS);
    expect(
      missedSince({ pausedAt, updatedAt: pausedAt, scheduleChangedAt: '2026-05-01T12:30:00.000Z' }),
    ).toBe(at('2026-05-01T12:30:00.000Z'));
  });

  it('applies a patch field by field, treating key order and equal values as no change', () => {
    const job = {
      jobId: 'job_x',
      name: 'a',
      retry: { maxAttempts: 3, backoff: 'exponential', initialDelaySeconds: 1 },
    } as unknown as JobRecord;
    const { job: next, changed } = applyJobPatch(
      job,
      PatchJobBody.parse({ name: null, retry: { initialDelaySeconds: 1, maxAttempts: 3 } }),
    );
    expect(next.name).toBeUndefined();
    // The parsed retry carries its defaults, so it differs from the stored partial one.
    expect([...changed].sort()).toEqual(['name', 'retry']);
    expect(applyJobPatch(next, PatchJobBody.parse({ name: null })).changed.size).toBe(0);
  });

  it('lets PATCH reach every field a create sets', () => {
    expect(Object.keys(PatchJobBody.shape).sort()).toEqual(Object.keys(CreateJobBody.shape).sort());
  });
});
