import type { ExecutionEvents } from '../core/ports/execution-events.js';

/**
 * Wraps the execution events so each first attempt also reports its start lateness (the
 * `StartLatenessMs` metric behind the dashboard's p50/p99 and the lateness alarm). The inner
 * listeners (notifications, dependencies) still see every event unchanged.
 */
export function withLatenessMetric(
  inner: ExecutionEvents | undefined,
  record: (lateByMs: number) => void,
): ExecutionEvents {
  return {
    started: async (job, execution, lateByMs) => {
      record(lateByMs);
      await inner?.started(job, execution, lateByMs);
    },
    attemptFailed: async (job, execution) => {
      await inner?.attemptFailed(job, execution);
    },
    finished: async (job, execution) => {
      await inner?.finished(job, execution);
    },
  };
}
