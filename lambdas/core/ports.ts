import type { ExecutionStatus, JobStatus, Priority } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { ExecutionItem, JobItem } from '../../schemas/stored.js';

export interface Page<T> {
  items: T[];
  /** Opaque; null at the end. */
  nextCursor: string | null;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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
}

export interface ExecutionFilter {
  status?: ExecutionStatus;
  from?: string;
  to?: string;
}

export interface ExecutionStore {
  /** Returns false when an execution with that id exists already. */
  createExecution(item: ExecutionItem): Promise<boolean>;
  getExecution(executionId: string): Promise<ExecutionItem | null>;
  getExecutions(executionIds: string[]): Promise<ExecutionItem[]>;
  /** Full replacement conditioned on `rev` = expectedRev; the stored rev becomes item.rev. Throws ConditionFailed. */
  replaceExecution(item: ExecutionItem, expectedRev: number): Promise<void>;
  /** Newest first. */
  listByJob(
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionItem>>;
  /** Non-final executions of a shard whose `pendingAt` ≤ upTo, oldest first. */
  queryPending(
    shard: number,
    upTo: string,
    limit: number,
    options?: { jobId?: string; cursor?: string },
  ): Promise<Page<ExecutionItem>>;
  listDead(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionItem>>;
  ping(): Promise<void>;
}

export interface OutgoingRun {
  message: RunMessage;
  priority: Priority;
  delaySeconds: number;
}

export interface RunQueue {
  /** Sends every run or throws; batches per priority internally. */
  send(runs: OutgoingRun[]): Promise<void>;
  ping(): Promise<void>;
}

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type HttpOutcome =
  | { kind: 'response'; statusCode: number; body: string; durationMs: number }
  | { kind: 'error'; error: string; timedOut: boolean; aborted: boolean; durationMs: number };

export interface HttpCaller {
  call(request: HttpRequest): Promise<HttpOutcome>;
}

/**
 * What happened to executions, for notifications and job dependencies. Implementations must be
 * quick and must not throw for the caller's sake: the executor logs and carries on if they do.
 */
export interface ExecutionEvents {
  /** The first attempt is about to call the target, `lateByMs` after its due time. */
  started(job: JobItem, execution: ExecutionItem, lateByMs: number): Promise<void>;
  /** An attempt failed (whether or not a retry follows). */
  attemptFailed(job: JobItem, execution: ExecutionItem): Promise<void>;
  /** The execution reached a final status (succeeded, failed, timed_out, dead, cancelled, skipped). */
  finished(job: JobItem, execution: ExecutionItem): Promise<void>;
}

/** Per-tenant signing secrets: the first signs, all verify. */
export interface SigningKeys {
  secretsFor(tenant: string): string[];
}
