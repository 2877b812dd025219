import type { JobStatus } from '../../../schemas/job.js';
import type { JobItem } from '../../../schemas/stored.js';
import type { Page } from './page.js';

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

export interface JobStore {
  /** Throws ConditionFailed if the id exists. */
  createJob(job: JobItem): Promise<void>;
  getJob(jobId: string): Promise<JobItem | null>;
  /** Full replacement conditioned on the version and nextRunAt that were read. Throws ConditionFailed. */
  replaceJob(job: JobItem, expected: { version: number; nextRunAt: string | undefined }): Promise<void>;
  /** Moves a job along the `due` index after its runs were enqueued. Throws ConditionFailed on a lost race. */
  advanceJob(job: JobItem, advance: DueAdvance): Promise<void>;
  /** Jobs in one `due` bucket with `dueKey` ≤ upToKey, oldest first. */
  queryDue(bucket: string, upToKey: string, limit: number, cursor?: string): Promise<Page<JobItem>>;
  listJobs(
    tenant: string,
    filter: { status?: JobStatus; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobItem>>;
  /** Oldest hour bucket of a shard that may still hold due jobs (the watcher's watermark). */
  getWatermark(shard: number): Promise<string | null>;
  setWatermark(shard: number, hour: string): Promise<void>;
  /**
   * Takes one of the job's `max` concurrency slots for `holder` (an execution id) until `until`;
   * slots whose holder's lease passed are reclaimed. `held`: the holder already had one.
   */
  acquireSlot(
    jobId: string,
    holder: string,
    max: number,
    until: number,
    now: number,
  ): Promise<'acquired' | 'held' | 'full'>;
  releaseSlot(jobId: string, holder: string): Promise<void>;
  /** Every job (local recovery only; never on a hot path). */
  scanJobs(cursor?: string): Promise<Page<JobItem>>;
  ping(): Promise<void>;
  /**
   * Reverse dependency edges: the jobs whose `dependsOn` names `upstreamId`. They live in an item
   * of their own (as does each downstream's round), so a job replace (PATCH) never clobbers them.
   */
  addDependent(upstreamId: string, downstreamId: string): Promise<void>;
  removeDependent(upstreamId: string, downstreamId: string): Promise<void>;
  getDependents(upstreamId: string): Promise<string[]>;
  /** The downstream's current dependency round (rev 0 and nothing arrived when none was recorded). */
  getDependencyRound(downstreamId: string): Promise<DependencyRound>;
  /** Marks an upstream's finished run as arrived in the downstream's round; returns the round after the write. */
  recordUpstreamRun(downstreamId: string, upstreamId: string, executionId: string): Promise<DependencyRound>;
  /**
   * Closes the round, only if it is still at `expectedRev`: forgets the given arrivals and stamps
   * `lastClosedAt`. False when another writer changed the round first (the caller re-reads).
   */
  closeDependencyRound(
    downstreamId: string,
    expectedRev: number,
    consumed: string[],
    at: string,
  ): Promise<boolean>;
}

/** Progress of a dependent job towards its next dependency run. */
export interface DependencyRound {
  /** Upstream id -> the execution whose outcome arrived since the last round closed. */
  arrived: Record<string, string>;
  /** Bumped by every write; rounds close conditionally on it, so one closes exactly once. */
  rev: number;
  /** When the last round closed (the dependent ran or was skipped). */
  lastClosedAt?: string;
}
