import type { ExecutionStatus } from '../../../schemas/job.js';
import type { ExecutionRecord } from '../../../schemas/records.js';
import type { Page } from './page.js';

export interface ExecutionFilter {
  status?: ExecutionStatus;
  from?: string;
  to?: string;
}

/**
 * Executions and their state changes. Every change is one of the transitions the core computes
 * (lambdas/core/execution/), written under its own name and only if the stored `rev` is still the
 * one it was computed from: false when another write came first. The names let a store write each
 * transition its own way (a claim as a small put, a result as an update).
 */
export interface ExecutionStore {
  /** Records a new execution (a fresh claim, a queued trigger, a skipped or cancelled run); false when its id exists. */
  createExecution(execution: ExecutionRecord): Promise<boolean>;
  getExecution(executionId: string): Promise<ExecutionRecord | null>;
  getExecutions(executionIds: string[]): Promise<ExecutionRecord[]>;
  /** A queued execution is leased to an executor (status running). */
  claim(claimed: ExecutionRecord, expectedRev: number): Promise<boolean>;
  /** A running execution's lease moves on: an async target took it over, or heartbeats. */
  extendLease(execution: ExecutionRecord, expectedRev: number): Promise<boolean>;
  /** What a run came to: an attempt and the status it leaves (final, or queued for a retry). */
  recordOutcome(execution: ExecutionRecord, expectedRev: number): Promise<boolean>;
  /** A cancel: immediate for a queued run, a request the executor of a running one acts on. */
  requestCancel(execution: ExecutionRecord, expectedRev: number): Promise<boolean>;
  /** A dead execution queued again with a fresh retry budget. */
  replay(execution: ExecutionRecord, expectedRev: number): Promise<boolean>;
  /** The watcher re-sent a pending execution: its `pending.at` moves on. */
  deferSweep(execution: ExecutionRecord, expectedRev: number): Promise<boolean>;
  /** Newest first. */
  listByJob(
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionRecord>>;
  /** Non-final executions of a shard whose `pending.at` ≤ upTo, oldest first. */
  queryPending(
    shard: number,
    upTo: string,
    limit: number,
    options?: { jobId?: string; cursor?: string },
  ): Promise<Page<ExecutionRecord>>;
  /** A tenant's dead executions, newest first. */
  listDead(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionRecord>>;
  ping(): Promise<void>;
}
