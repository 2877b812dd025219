/**
 * Per-tenant limits (docs/security.md, "Limits"): the ports their counters live behind and the pure
 * arithmetic of the rate limits. Time is a parameter.
 */

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

/**
 * Executions per tenant and minute, shared by every executor. `tryTake` adds `amount` to the
 * tenant's count for `window` when the sum stays within `cap` and says whether it did.
 */
export interface ExecutionWindowCounter {
  tryTake(tenant: string, window: number, amount: number, cap: number): Promise<boolean>;
}

export const WINDOW_MS = 60_000;

export function windowOf(now: number): number {
  return Math.floor(now / WINDOW_MS);
}

export interface TokenBucket {
  tokens: number;
  at: number;
}

/**
 * Token bucket: `ratePerSecond` refill up to `burst`. Takes one token, or says how long until one
 * is there (the `Retry-After`).
 */
export function takeToken(
  bucket: TokenBucket | undefined,
  now: number,
  ratePerSecond: number,
  burst: number,
): { bucket: TokenBucket; waitMs: number } {
  const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
  const tokens = Math.min(burst, (bucket?.tokens ?? burst) + (elapsed * ratePerSecond) / 1000);
  if (tokens >= 1) return { bucket: { tokens: tokens - 1, at: now }, waitMs: 0 };
  return { bucket: { tokens, at: now }, waitMs: Math.ceil(((1 - tokens) * 1000) / ratePerSecond) };
}
