/** How long one answer of the health check serves the probes that follow it. */
export const HEALTH_CACHE_MS = 10_000;

/**
 * `/healthz` is anonymous: a flood of probes must not become a flood of store and queue reads.
 * One check's answer (pass or fail) serves every probe for `ttlMs`, and probes that arrive while a
 * check runs wait for that one.
 */
export function cachedHealth(check: () => Promise<void>, now: () => number, ttlMs = HEALTH_CACHE_MS) {
  let last: { at: number; result: Promise<void> } | undefined;
  return (): Promise<void> => {
    const at = now();
    if (!last || at - last.at >= ttlMs) {
      const result = check();
      // A rejected answer is cached too; handled here so no probe-less rejection goes unobserved.
      result.catch(() => {});
      last = { at, result };
    }
    return last.result;
  };
}
