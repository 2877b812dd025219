import type { ExecutionStatus } from '../../schemas/job.js';
import type { ExecutionEvents } from '../core/ports/execution-events.js';

/** The metric each final status counts in (the dashboard's outcomes and the failure-rate alarm). */
export const OUTCOME_METRIC: Partial<Record<ExecutionStatus, string>> = {
  succeeded: 'ExecutionsSucceeded',
  failed: 'ExecutionsFailed',
  timed_out: 'ExecutionsFailed',
  dead: 'ExecutionsDead',
};

/**
 * Wraps the execution events so every execution that ends counts in its outcome metric, wherever
 * it ends: in the executor, in the API (an async target's `complete`, a cancel) or in the
 * watcher (a silent async target's lease runs out). The inner listeners see every event unchanged.
 */
export function withOutcomeMetrics(
  inner: ExecutionEvents | undefined,
  record: (metricName: string) => void,
): ExecutionEvents {
  return {
    started: async (job, execution, lateByMs) => {
      await inner?.started(job, execution, lateByMs);
    },
    attemptFailed: async (job, execution) => {
      await inner?.attemptFailed(job, execution);
    },
    finished: async (job, execution) => {
      const metric = OUTCOME_METRIC[execution.status];
      if (metric) record(metric);
      await inner?.finished(job, execution);
    },
  };
}
