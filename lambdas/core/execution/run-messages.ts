import type { Trigger } from '../../../schemas/execution.js';
import type { RunMessage } from '../../../schemas/messages.js';
import type { JobRecord } from '../../../schemas/records.js';
import { executionIdFor } from '../ids.js';
import type { OutgoingRun } from '../ports/run-queue.js';

/**
 * The longest SQS can hold a message back (DelaySeconds 900): runs due later wait on the due index
 * or the pending index, and the watcher sends them when they come within reach.
 */
export const MAX_QUEUE_DELAY_MS = 900_000;

/**
 * A run's first attempt on its schedule: the one whose claim creates its record (a trigger's,
 * a dependency's or a retry's record exists before), and the only one the local run queues hand
 * over early.
 */
export function isFirstScheduledAttempt(message: Pick<RunMessage, 'trigger' | 'attempt'>): boolean {
  return message.trigger === 'schedule' && message.attempt === 1;
}

/** The message that asks an executor for one attempt of a job's run. */
export function runMessage(
  job: Pick<JobRecord, 'jobId' | 'tenant' | 'planRev'>,
  scheduledAt: string,
  trigger: Trigger,
  attempt = 1,
  lateAccepted = false,
): RunMessage {
  return {
    v: 1,
    executionId: executionIdFor(job.jobId, scheduledAt),
    jobId: job.jobId,
    tenant: job.tenant,
    scheduledAt,
    trigger,
    attempt,
    plan: job.planRev ?? 0,
    ...(lateAccepted ? { lateAccepted } : {}),
  };
}

/** DelaySeconds that makes a message visible at most a second before it is due; the executor waits the rest. */
export function outgoing(
  job: Pick<JobRecord, 'priority'>,
  message: RunMessage,
  dueAt: number,
  now: number,
): OutgoingRun {
  return { message, priority: job.priority, delaySeconds: Math.max(0, Math.floor((dueAt - now) / 1000)) };
}
