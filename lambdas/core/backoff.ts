import type { RetryPolicy } from '../../schemas/job.js';

/**
 * Delay before attempt `nextAttempt` (2, 3, …) in milliseconds.
 * Exponential: initial × 2^(n-2), capped at maxDelay; full jitter draws uniformly in [0, cap].
 */
export function backoffDelayMs(policy: RetryPolicy, nextAttempt: number, random: () => number): number {
  const initial = policy.initialDelaySeconds * 1000;
  const max = policy.maxDelaySeconds * 1000;
  const exponent = Math.max(0, nextAttempt - 2);
  const raw = policy.backoff === 'fixed' ? initial : initial * 2 ** Math.min(exponent, 40);
  const capped = Math.min(raw, max);
  return Math.round(policy.jitter === 'full' ? random() * capped : capped);
}

/** Whether a failed attempt may be retried, given the answer it got. */
export function isRetryable(
  outcome: { statusCode: number | null; timedOut: boolean },
  policy: RetryPolicy,
): boolean {
  const code = outcome.statusCode;
  if (code === null) return true; // network error or timeout
  // Redirects are not followed, and asking again gets the same answer: the job points at the wrong URL.
  if (code >= 300 && code < 400) return false;
  if (code === 408 || code === 429) return true;
  if (code >= 400 && code < 500) return policy.retryOn4xx;
  return true;
}
