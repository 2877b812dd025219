import type { ExecutionItem, JobItem } from '../../../schemas/stored.js';

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
