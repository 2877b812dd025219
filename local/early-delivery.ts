import { isFirstScheduledAttempt } from '../lambdas/core/execution/run-messages.js';
import type { OutgoingRun, RunQueue } from '../lambdas/core/ports/run-queue.js';

/** `npm start`'s default `handOverAheadSeconds` (SCHEDULER_HAND_OVER_AHEAD_SECONDS). */
export const LOCAL_HAND_OVER_AHEAD_SECONDS = 5;
/** The longest lead: a minute of runs held in memory at most. */
export const MAX_HAND_OVER_AHEAD_SECONDS = 60;

/**
 * The local run queues hand first scheduled runs over `leadSeconds` early: their messages' delays
 * are that much shorter, so the executor has received them and read their jobs before their time
 * (a burst of runs due at one second is mostly prepared before it). The executor holds each until
 * just before its time, then admits and claims it (lambdas/services/executor/early-runs.ts).
 * Retries, triggers and dependency runs are sent as they are.
 */
export function deliveringEarly(queue: RunQueue, leadSeconds: number): RunQueue {
  if (leadSeconds <= 0) return queue;
  const early = (run: OutgoingRun): OutgoingRun =>
    isFirstScheduledAttempt(run.message)
      ? { ...run, delaySeconds: Math.max(0, run.delaySeconds - leadSeconds) }
      : run;
  return {
    send: (runs) => queue.send(runs.map(early)),
    setVisibility: (changes) => queue.setVisibility(changes),
    ping: () => queue.ping(),
  };
}
