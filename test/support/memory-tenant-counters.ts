import type { TenantJobCounter } from '../../lambdas/core/ports/tenant-job-counter.js';

/** The jobs-per-tenant counter in memory, with the DynamoDB adapter's semantics. */
export class MemoryTenantJobCounter implements TenantJobCounter {
  readonly counts = new Map<string, { count: number; recountedAt: number | null }>();

  async tryIncrement(
    tenant: string,
    max: number,
  ): Promise<{ ok: true } | { ok: false; recountedAt: number | null }> {
    const entry = this.counts.get(tenant) ?? { count: 0, recountedAt: null };
    if (entry.count >= max) return { ok: false, recountedAt: entry.recountedAt };
    this.counts.set(tenant, { ...entry, count: entry.count + 1 });
    return { ok: true };
  }

  async decrement(tenant: string): Promise<void> {
    const entry = this.counts.get(tenant);
    if (entry && entry.count > 0) entry.count -= 1;
  }

  async reset(tenant: string, count: number, at: number): Promise<void> {
    this.counts.set(tenant, { count, recountedAt: at });
  }
}
