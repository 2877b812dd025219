import type { ExecutionStatus } from '../../schemas/job.js';
import type { ExecutionEvents } from '../core/ports/execution-events.js';

/** The metric each final status counts in (the dashboard's outcomes and the failure-rate alarm). */
export const OUTCOME_METRIC: Partial<Record<ExecutionStatus, string>> = {
  succeeded: 'ExecutionsSucceeded',
  failed: 'ExecutionsFailed',
  timed_out: 'ExecutionsFailed',
  dead: 'ExecutionsDead',
};

/** The execution events with a metric recorded before some of them; the inner listeners see every event unchanged. */
function recordingBefore(
  inner: ExecutionEvents | undefined,
  before: Partial<{ [K in keyof ExecutionEvents]: (...args: Parameters<ExecutionEvents[K]>) => void }>,
): ExecutionEvents {
  return {
    started: async (job, execution, lateByMs) => {
      before.started?.(job, execution, lateByMs);
      await inner?.started(job, execution, lateByMs);
    },
    attemptFailed: async (job, execution) => {
      before.attemptFailed?.(job, execution);
      await inner?.attemptFailed(job, execution);
    },
    finished: async (job, execution, known) => {
      before.finished?.(job, execution, known);
      await inner?.finished(job, execution, known);
    },
  };
}

/**
 * Every execution that ends counts in its outcome metric, wherever it ends: in the executor, in
 * the API (an async target's `complete`, a cancel) or in the watcher (a silent async target's lease
 * runs out).
 */
export function withOutcomeMetrics(
  inner: ExecutionEvents | undefined,
  record: (metricName: string) => void,
): ExecutionEvents {
  return recordingBefore(inner, {
    finished: (_job, execution) => {
      const metric = OUTCOME_METRIC[execution.status];
      if (metric) record(metric);
    },
  });
}

/**
 * Each first attempt also reports its start lateness (the `StartLatenessMs` metric behind the
 * dashboard's p50/p99 and the lateness alarm).
 */
export function withLatenessMetric(
  inner: ExecutionEvents | undefined,
  record: (lateByMs: number) => void,
): ExecutionEvents {
  return recordingBefore(inner, { started: (_job, _execution, lateByMs) => record(lateByMs) });
}
