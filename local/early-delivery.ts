import type { OutgoingRun, RunQueue } from '../lambdas/core/ports/run-queue.js';

/** `npm start`'s default `claimLeadSeconds` (SCHEDULER_CLAIM_LEAD_SECONDS). */
export const LOCAL_CLAIM_LEAD_SECONDS = 5;
/** The longest lead: runs are claimed within a minute of their time, never with a misfire grace's worth of doubt. */
export const MAX_CLAIM_LEAD_SECONDS = 60;

/**
 * The local run queues hand first scheduled runs over `leadSeconds` early: their messages' delays
 * are that much shorter, so the executor has read and claimed them by their time and only calls
 * at it (a burst of runs due at one second is mostly claimed before it). The executor waits for
 * the due time and checks each run again just before (lambdas/services/executor/early-runs.ts).
 * Retries, triggers and dependency runs are sent as they are.
 */
export function deliveringEarly(queue: RunQueue, leadSeconds: number): RunQueue {
  if (leadSeconds <= 0) return queue;
  const early = (run: OutgoingRun): OutgoingRun =>
    run.message.trigger === 'schedule' && run.message.attempt === 1
      ? { ...run, delaySeconds: Math.max(0, run.delaySeconds - leadSeconds) }
      : run;
  return {
    send: (runs) => queue.send(runs.map(early)),
    setVisibility: (changes) => queue.setVisibility(changes),
    ping: () => queue.ping(),
  };
}
