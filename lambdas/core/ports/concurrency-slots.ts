/**
 * Per-job concurrency: a slot per running execution. Slots live apart from the job definition, so
 * a job replace (PATCH) never clobbers them.
 */
export interface ConcurrencySlots {
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
}
