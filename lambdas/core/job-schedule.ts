import type { JobRecord } from '../../schemas/records.js';
import type { ScheduledJob } from './misfire.js';
import { iso, ms } from './time.js';

/** A job's schedule as the misfire planner reads it, from `nextRunAt` (given: the run it plans from). */
export function scheduleOf(job: JobRecord): Omit<ScheduledJob, 'nextRunAt'> {
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
