import type { Trigger } from '../../../schemas/execution.js';
import type { ExecutionStatus } from '../../../schemas/job.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { executionIdFor } from '../ids.js';
import { assertExecutionTransition } from '../states.js';
import { iso } from '../time.js';

/** How long after its due time a queued run may sit unclaimed before the reaper re-sends it. */
export const REAP_SLACK_MS = 2 * 60 * 1000;

/** The execution waits on the job shard's watcher from `attentionAt`, if no message moves it first. */
export function pendingFields(job: Pick<JobRecord, 'shard'>, attentionAt: number) {
  return { pending: { shard: job.shard, at: iso(attentionAt) } };
}

/** A new execution record (manual triggers, skipped runs, cancelled-before-run). */
export function newExecution(
  job: JobRecord,
  scheduledAt: string,
  trigger: Trigger,
  status: ExecutionStatus,
  now: number,
  hotRetentionSeconds: number,
  reason?: string,
): ExecutionRecord {
  const item: ExecutionRecord = {
    executionId: executionIdFor(job.jobId, scheduledAt),
    jobId: job.jobId,
    tenant: job.tenant,
    scheduledAt,
    trigger,
    status,
    attempts: [],
    rev: 1,
    priority: job.priority,
    ...(reason ? { reason } : {}),
  };
  return status === 'queued'
    ? { ...item, ...pendingFields(job, now + REAP_SLACK_MS) }
    : { ...item, finishedAt: iso(now), expiresAt: expiryFor(now, hotRetentionSeconds) };
}

/**
 * A one-off run (a manual trigger, a dependency run) as recorded before it is sent: queued, on the
 * pending index from its instant. Its claim rebuilds it from the message to claim it without a read.
 */
export function queuedOneOffRun(
  job: JobRecord,
  scheduledAt: string,
  trigger: 'manual' | 'dependency',
  hotRetentionSeconds: number,
): ExecutionRecord {
  return newExecution(job, scheduledAt, trigger, 'queued', Date.parse(scheduledAt), hotRetentionSeconds);
}

export function expiryFor(finishedAt: number, hotRetentionSeconds: number): number {
  return Math.floor(finishedAt / 1000) + hotRetentionSeconds;
}

/** Takes a finished execution off the watcher's and the lease's hands and stamps its expiry. */
export function finalized(
  item: ExecutionRecord,
  status: ExecutionStatus,
  now: number,
  hotRetentionSeconds: number,
): ExecutionRecord {
  assertExecutionTransition(item.executionId, item.status, status);
  const { pending: _p, lease: _l, nextAttemptAt: _n, ...rest } = item;
  return {
    ...rest,
    status,
    rev: item.rev + 1,
    finishedAt: iso(now),
    expiresAt: expiryFor(now, hotRetentionSeconds),
  };
}

/** Cancelled: finalized with the reason every cancel gives. */
export function cancelledExecution(
  item: ExecutionRecord,
  now: number,
  hotRetentionSeconds: number,
): ExecutionRecord {
  return { ...finalized(item, 'cancelled', now, hotRetentionSeconds), reason: 'cancelled' };
}
