/**
 * Which jobs had their status or plan changed lately, as the one process that writes them all saw
 * it (the local runtime; AWS has no such view, and hands no run over early). A run handed over
 * ahead of its time is woken by such a change, and reads its job again.
 */
export interface RecentWrites {
  /** Whether the job's status or plan was written at or after `since` (epoch ms). */
  touchedSince(jobId: string, since: number): boolean;
  /** Calls `touched` at each such write of the job from now on, until the returned function is called. */
  watch(jobId: string, touched: () => void): () => void;
}
