import type { JobStatus } from '../../../schemas/job.js';
import type { JobRecord } from '../../../schemas/records.js';

/**
 * A job as the due index shows it: what planning its runs and writing their messages need, so the
 * watcher plans from the index without reading the job. The index is eventually consistent: the
 * advance is conditioned on `nextRunAt`, `version` and the status, and the messages carry
 * `planRev`, so runs planned from a stale entry are dropped by the executor (a superseded plan) or
 * absorbed by the claim (a run sent twice).
 */
export type DueJob = Pick<
  JobRecord,
  | 'jobId'
  | 'tenant'
  | 'shard'
  | 'status'
  | 'version'
  | 'planRev'
  | 'priority'
  | 'schedule'
  | 'misfire'
  | 'misfireGraceSeconds'
  | 'anchorAt'
> & {
  /** The `nextRunAt` the job was filed under. */
  nextRunAt: string;
};

/** The fields of a job its due-index entry shows (besides `jobId` and `nextRunAt`). */
export const DUE_JOB_FIELDS = [
  'tenant',
  'shard',
  'status',
  'version',
  'planRev',
  'priority',
  'schedule',
  'misfire',
  'misfireGraceSeconds',
  'anchorAt',
] as const satisfies readonly (keyof DueJob)[];

/** Jobs a shard's watcher finds due, filed under one UTC hour (`2026-03-08T07`), oldest first. */
export interface DuePage {
  hour: string;
  jobs: DueJob[];
}

export interface DueAdvance {
  /** The job's current `nextRunAt` (ISO) as the watcher read it: the write is conditioned on it. */
  expectedNextRunAt: string;
  expectedVersion: number;
  nextRunAt: number | null;
  enqueuedThrough: string | null;
  /** Final status when the job has no further run and nothing in flight (e.g. a skipped once-job). */
  status?: JobStatus;
  now: number;
}

/**
 * Where the watchers find the jobs whose next run is near: every active job with a `nextRunAt` is
 * filed under its shard and the hour of that run (or of its last write, when the run was already
 * past), so a watcher reads only its own, from its watermark's hour on.
 */
export interface DueIndex {
  /** The shard's jobs due by `upTo` (epoch ms), hour by hour from `fromHour`, a page at a time. */
  dueJobs(shard: number, fromHour: string, upTo: number): AsyncIterable<DuePage>;
  /** Moves a job along the index after its runs were enqueued. Throws ConditionFailed on a lost race. */
  advanceJob(job: Pick<JobRecord, 'jobId' | 'shard'>, advance: DueAdvance): Promise<void>;
}
