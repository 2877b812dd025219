import type { JobRecord } from '../../../schemas/records.js';
import { anchorOf } from '../job-schedule.js';
import { nextRunAfter, onceInstant } from '../schedule.js';
import { ms } from '../time.js';

/**
 * Whether the job's schedule has a run at exactly `at`. A scheduled run has no record until it is
 * claimed, yet its id (`<jobId>:<instant>`) is taken: a manual or dependency run must not be
 * recorded under it, or the scheduled run's claim would find it and the two would become one.
 */
export function isScheduledInstant(job: JobRecord, at: number): boolean {
  const { schedule } = job;
  switch (schedule.type) {
    case 'once':
      return onceInstant(schedule) === at;
    case 'immediate':
      return ms(job.createdAt) === at;
    case 'dependency':
      return false;
    default:
      return nextRunAfter(schedule, at - 1, anchorOf(job)) === at;
  }
}

/**
 * Whether a scheduled run at `scheduledAt` can be its job's last: its schedule has no run after it
 * (a one-time job, or the last run inside `endAt`). Only such a run's end may end the job, so only
 * it needs the job read again; a cron or rate without an end never does.
 */
export function canBeLastRun(job: JobRecord, scheduledAt: string): boolean {
  const { schedule } = job;
  if (schedule.type !== 'cron' && schedule.type !== 'rate') return true;
  return nextRunAfter(schedule, ms(scheduledAt), anchorOf(job)) === null;
}
