/**
 * Which jobs and executions were written lately, as the one process that writes them all saw it
 * (the local runtime; AWS has no such view, and no runs claimed early). A run claimed ahead of its
 * time is woken by a write that may stop it, and asks at its time whether one came since its claim.
 */
export interface RecentWrites {
  /** Whether the job (its status or plan) or the execution (a cancel request) was written at or after `since` (epoch ms). */
  touchedSince(jobId: string, executionId: string, since: number): boolean;
  /** Calls `touched` at each such write of the job or the execution from now on, until the returned function is called. */
  watch(jobId: string, executionId: string, touched: () => void): () => void;
}
