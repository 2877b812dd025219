import type { JobStatus } from '../../../schemas/job.js';
import type { JobRecord } from '../../../schemas/records.js';
import type { Page } from './page.js';

/** How a job ends, and the plan and last run it must still be at (JobStore.finishJob). */
export interface JobFinish {
  status: Extract<JobStatus, 'completed' | 'failed'>;
  planRev: number;
  lastRunAt: string;
}

/**
 * Job definitions and their status: what a job is. Its place on the schedule (due-index.ts), its
 * concurrency slots, its dependency edges and rounds and the watchers' watermarks are ports of their
 * own; one DynamoDB table backs them all. `now` is the instant of the write: a job whose next run is
 * already past is filed as due now (the store's index layout needs it).
 */
export interface JobStore {
  /** Throws ConditionFailed if the id exists. */
  createJob(job: JobRecord, now: number): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | null>;
  /**
   * Several jobs in one read (BatchGetItem), eventually consistent: a job written a moment ago may
   * be missing or older than it is. Jobs not found are left out. The executor reads the jobs of a
   * received batch with it and reads again (getJob) what looks stale.
   */
  getJobs(jobIds: string[]): Promise<JobRecord[]>;
  /** Full replacement conditioned on the version and nextRunAt that were read. Throws ConditionFailed. */
  replaceJob(
    job: JobRecord,
    expected: { version: number; nextRunAt: string | undefined },
    now: number,
  ): Promise<void>;
  /**
   * Ends a job after its last run in one conditional write (status, version + 1, updatedAt), without
   * reading it: only while it is active, has no next run, is still at `planRev`, and its last sent
   * run (if it records one) is `lastRunAt`. False when any of these does not hold.
   */
  finishJob(jobId: string, finish: JobFinish, now: number): Promise<boolean>;
  /** A tenant's jobs, newest first. */
  listJobs(
    tenant: string,
    filter: { status?: JobStatus; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobRecord>>;
  /** Every job (local recovery only; never on a hot path). */
  scanJobs(cursor?: string): Promise<Page<JobRecord>>;
  ping(): Promise<void>;
}
