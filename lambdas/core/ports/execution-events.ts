import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';

/**
 * What happened to executions, for notifications and job dependencies. Implementations must be
 * quick and must not throw for the caller's sake: the executor logs and carries on if they do.
 */
export interface ExecutionEvents {
  /** The first attempt is about to call the target, `lateByMs` after its due time. */
  started(job: JobRecord, execution: ExecutionRecord, lateByMs: number): Promise<void>;
  /** An attempt failed (whether or not a retry follows). */
  attemptFailed(job: JobRecord, execution: ExecutionRecord): Promise<void>;
  /**
   * The execution reached a final status (succeeded, failed, timed_out, dead, cancelled, skipped).
   * `known`: what the caller already read of the job, so a listener need not read it again.
   */
  finished(job: JobRecord, execution: ExecutionRecord, known?: KnownOfJob): Promise<void>;
}

/** What a caller already knows of a job, read with its batch (eventually consistent). */
export interface KnownOfJob {
  /** The jobs that depend on it. */
  dependents?: readonly string[];
}
