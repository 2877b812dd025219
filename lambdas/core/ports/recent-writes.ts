/**
 * Which jobs and executions were written lately, as the one process that writes them all saw it
 * (the local runtime; AWS has no such view, and no runs claimed early). A run claimed ahead of
 * its time asks it at its time whether anything happened to its job or to itself since the claim.
 */
export interface RecentWrites {
  /** Whether the job or the execution was written at or after `since` (epoch ms). */
  touchedSince(jobId: string, executionId: string, since: number): boolean;
}
