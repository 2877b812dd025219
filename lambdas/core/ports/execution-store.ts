import type { ExecutionStatus } from '../../../schemas/job.js';
import type { ExecutionItem } from '../../../schemas/stored.js';
import type { Page } from './page.js';

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
