/**
 * Per-tenant limits (docs/security.md, "Limits"): the pure arithmetic of the rate limits (their
 * counters are ports: ports/tenant-job-counter.ts, ports/execution-window-counter.ts). Time is a parameter.
 */

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
