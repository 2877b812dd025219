import { type IdempotencyRecord, isLive } from '../../lambdas/core/idempotency.js';
import type { IdempotencyStore } from '../../lambdas/core/ports/idempotency-store.js';

/** In-memory IdempotencyStore with the DynamoDB adapter's conditions (it passes the same conformance suite). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();

  async claim(
    record: IdempotencyRecord,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }> {
    const id = `${record.tenant}#${record.keyHash}`;
    const existing = this.records.get(id);
    if (existing && isLive(existing, now)) return { claimed: false, existing: structuredClone(existing) };
    this.records.set(id, structuredClone(record));
    return { claimed: true };
  }

  async complete(record: IdempotencyRecord): Promise<void> {
    const id = `${record.tenant}#${record.keyHash}`;
    if (this.records.get(id)?.createdAt !== record.createdAt) return;
    this.records.set(id, structuredClone({ ...record, state: 'completed' }));
  }

  async release(record: IdempotencyRecord): Promise<void> {
    const id = `${record.tenant}#${record.keyHash}`;
    if (this.records.get(id)?.createdAt === record.createdAt) this.records.delete(id);
  }
}
