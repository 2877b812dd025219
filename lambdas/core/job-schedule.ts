import type { JobRecord } from '../../schemas/records.js';
import { withStatus } from './lifecycle.js';
import { type DuePlan, planDueRuns, type QueueAhead, type ScheduledJob } from './misfire.js';
import { iso, ms } from './time.js';

/** A job's schedule as the misfire planner reads it, from `nextRunAt` (given: the run it plans from). */
export function scheduleOf(
  job: Pick<JobRecord, 'schedule' | 'misfire' | 'misfireGraceSeconds' | 'anchorAt'>,
): Omit<ScheduledJob, 'nextRunAt'> {
  return {
    schedule: job.schedule,
    misfire: job.misfire,
    misfireGraceSeconds: job.misfireGraceSeconds,
    ...(job.anchorAt ? { anchorAt: ms(job.anchorAt) } : {}),
  };
}

/** The instant a rate schedule counts from, if the job has one. */
export function anchorOf(job: Pick<JobRecord, 'anchorAt'>): number | undefined {
  return job.anchorAt ? ms(job.anchorAt) : undefined;
}

/** The job with its next run at `nextRunAt` (the watcher finds it then), or with none. */
export function withNextRun<J extends Pick<JobRecord, 'nextRunAt'>>(job: J, nextRunAt: number | null): J {
  const { nextRunAt: _n, ...rest } = job;
  return (nextRunAt === null ? rest : { ...rest, nextRunAt: iso(nextRunAt) }) as J;
}

/** Where a plan leaves its job: its next run, the last run it handed to the queue, and whether its schedule ended. */
export function afterPlan(plan: DuePlan): {
  nextRunAt: number | null;
  enqueuedThrough: string | null;
  ended: boolean;
} {
  const last = plan.runs.at(-1);
  return {
    nextRunAt: plan.nextRunAt,
    enqueuedThrough: last ? iso(last.scheduledAt) : null,
    ended: plan.nextRunAt === null && plan.runs.length === 0,
  };
}

/** A job being (re)scheduled: the job as it will be written, and the runs to send once it is. */
export interface Placement {
  job: JobRecord;
  /** Its first run (null: none), where the plan starts and where the job waits if the send fails. */
  first: number | null;
  /** Runs to send now, or null when the first run is beyond the look-ahead (the watcher plans it). */
  plan: DuePlan | null;
}

/**
 * Where a created or rescheduled job goes: a first run beyond the look-ahead waits on the due index;
 * one within it, or already missed, is planned now under the misfire policy and the job is written
 * already advanced — the plan a watcher tick would make, without waiting for the tick.
 */
export function placement(
  job: JobRecord,
  first: number | null,
  now: number,
  lookaheadMs: number,
  ahead?: QueueAhead,
): Placement {
  if (first === null || first > now + lookaheadMs) return { job: withNextRun(job, first), first, plan: null };
  const plan = planDueRuns({ ...scheduleOf(job), nextRunAt: first }, now, lookaheadMs, ahead);
  const after = afterPlan(plan);
  const advanced = withNextRun(after.ended ? withStatus(job, 'completed') : job, after.nextRunAt);
  return {
    job: after.enqueuedThrough === null ? advanced : { ...advanced, enqueuedThrough: after.enqueuedThrough },
    first,
    plan,
  };
}
