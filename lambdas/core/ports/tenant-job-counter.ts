/** How many active and paused jobs each tenant holds, kept next to the jobs (an item per tenant). */
export interface TenantJobCounter {
  /** Adds one when the count is below `max`; otherwise reports when the count was last recounted. */
  tryIncrement(
    tenant: string,
    max: number,
  ): Promise<{ ok: true } | { ok: false; recountedAt: number | null }>;
  /** Takes one away (not below zero). */
  decrement(tenant: string): Promise<void>;
  /** Replaces the count with an exact recount made at `at`. */
  reset(tenant: string, count: number, at: number): Promise<void>;
}
