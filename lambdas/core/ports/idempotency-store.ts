import type { IdempotencyRecord } from '../idempotency.js';

/** Stored idempotency keys (the Jobs table in AWS: items `idem#<tenant>#<keyHash>`). */
export interface IdempotencyStore {
  /**
   * Takes the key for a new request by writing `record` (in progress), unless a live record holds
   * it: completed and unexpired, or in progress within its lock. Then that record is returned.
   */
  claim(
    record: IdempotencyRecord,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }>;
  /** Stores the response of a claim (if the claim is still the one taken at `record.createdAt`). */
  complete(record: IdempotencyRecord): Promise<void>;
  /** Gives a claim up (its request failed on our side), so a retry runs afresh. */
  release(record: IdempotencyRecord): Promise<void>;
}
