import type { ExecutionStatus, JobStatus, Priority } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { NotificationMessage } from '../../schemas/notification.js';
import type { ExecutionItem, JobItem } from '../../schemas/stored.js';
import type { AwsCall } from './aws-targets.js';

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
  /**
   * Whose call this is: pooled (keep-alive) connections are reused only by calls of the same
   * tenant. A call without one gets a connection of its own.
   */
  tenant?: string;
}

export type HttpOutcome =
  | {
      kind: 'response';
      statusCode: number;
      body: string;
      durationMs: number;
      /** The `Location` header of a redirect (3xx), which is never followed. */
      location?: string;
    }
  | { kind: 'error'; error: string; timedOut: boolean; aborted: boolean; durationMs: number };

export interface HttpCaller {
  call(request: HttpRequest): Promise<HttpOutcome>;
}

/** A target's answer; AWS targets add what the service returned (message id, execution ARN, …). */
export type TargetOutcome = HttpOutcome & { response?: Record<string, string> };

/** One attempt's call to an AWS target (lambdas/core/aws-targets.ts builds `call`). */
export interface AwsTargetRequest {
  call: AwsCall;
  /** Assumed with ExternalId = `tenant` (in AWS; the local runtime only records it). */
  roleArn: string;
  tenant: string;
  executionId: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Makes AWS target calls: the SDK under an assumed role in AWS, the emulator, local functions and
 * the outbox locally. Never throws: a failure is an `error` outcome, permanent ones marked
 * (isPermanentFailure).
 */
export interface AwsTargetCaller {
  call(request: AwsTargetRequest): Promise<TargetOutcome>;
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

/** One notification on its way to one receiver (schemas/notification.ts). */
export interface OutgoingNotification {
  message: NotificationMessage;
  /** Held back this long before the notifier sees it (0–900). */
  delaySeconds?: number;
}

/** The notifications queue between the services that notice events and the notifier that delivers them. */
export interface NotificationQueue {
  /** Sends every notification or throws; batches internally. */
  send(notifications: OutgoingNotification[]): Promise<void>;
}

export interface Email {
  to: string;
  subject: string;
  /** Plain text. */
  text: string;
  /** Stable per notification, so a receiver (or a mail client) can tell redeliveries apart. */
  id: string;
}

/** Sends one email: SES v2 in AWS, `.eml` files in the local outbox. */
export interface EmailSender {
  send(email: Email): Promise<void>;
}

/** Per-tenant signing secrets: the first signs, all verify. */
export interface SigningKeys {
  secretsFor(tenant: string): string[];
}
