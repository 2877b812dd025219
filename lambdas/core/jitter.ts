import { fnv1a } from './buckets.js';

/** Start offset in [0, jitterSeconds) s, derived from the execution id so a redelivery lands at the same instant. */
export function jitterOffsetMs(executionId: string, jitterSeconds: number): number {
  if (jitterSeconds <= 0) return 0;
  return fnv1a(`jitter:${executionId}`) % (jitterSeconds * 1000);
}
