import { DEFAULTS } from '../composition/config.js';
import { type TokenBucket, takeToken } from '../core/limits.js';
import { errorResponse, type Response } from './http.js';

export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

export const DEFAULT_API_RATE: RateLimit = {
  ratePerSecond: DEFAULTS.apiRatePerSecond,
  burst: DEFAULTS.apiBurst,
};

/** Buckets kept at most; idle tenants are forgotten first (a forgotten bucket is a full one). */
const MAX_TENANTS = 10_000;

/**
 * Per-tenant request rate of one api process: a token bucket per tenant. Locally that is the whole
 * API; in AWS it is one Lambda container's share, so API Gateway's stage and route throttling is
 * the outer guard (docs/security.md).
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RateLimit = DEFAULT_API_RATE,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** 0 when the request may go ahead; otherwise the milliseconds until it could. */
  take(tenant: string): number {
    const { bucket, waitMs } = takeToken(
      this.buckets.get(tenant),
      this.now(),
      this.limit.ratePerSecond,
      this.limit.burst,
    );
    // Re-inserting keeps the map in last-use order, so the oldest entry is the idlest tenant.
    this.buckets.delete(tenant);
    this.buckets.set(tenant, bucket);
    if (this.buckets.size > MAX_TENANTS) {
      const idlest = this.buckets.keys().next().value;
      if (idlest !== undefined) this.buckets.delete(idlest);
    }
    return waitMs;
  }
}

/** The 429 a tenant over its rate gets, with `Retry-After` in whole seconds; null when it may go ahead. */
export function rateLimitResponse(limiter: TenantRateLimiter, tenant: string): Response | null {
  const waitMs = limiter.take(tenant);
  if (waitMs === 0) return null;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return errorResponse(
    429,
    'rate_limited',
    `too many requests for this tenant; retry after ${seconds} s`,
    [],
    { 'retry-after': String(seconds) },
  );
}
