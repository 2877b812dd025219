import type { Trigger } from '../../schemas/execution.js';
import type { ExecutionStatus } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import { executionIdFor } from '../core/ids.js';
import type { DuePlan } from '../core/misfire.js';
import type { OutgoingRun } from '../core/ports/run-queue.js';
import { iso } from '../core/time.js';
import { emit, type ServiceDeps } from './deps.js';

/** How long after its due time a queued run may sit unclaimed before the reaper re-sends it. */
export const REAP_SLACK_MS = 2 * 60 * 1000;

export function runMessage(
  job: JobRecord,
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
export function outgoing(job: JobRecord, message: RunMessage, dueAt: number, now: number): OutgoingRun {
  return { message, priority: job.priority, delaySeconds: Math.max(0, Math.floor((dueAt - now) / 1000)) };
}

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
  const { pending: _p, lease: _l, nextAttemptAt: _n, ...rest } = item;
  return {
    ...rest,
    status,
    rev: item.rev + 1,
    finishedAt: iso(now),
    expiresAt: expiryFor(now, hotRetentionSeconds),
  };
}

/**
 * Records the runs a misfire policy dropped as `skipped` executions (the watcher's, a resume's or
 * a reschedule's plan alike) and tells the listeners of each one newly recorded. Returns how many
 * were new: a redelivered tick finds them recorded already.
 */
export async function recordSkippedRuns(
  deps: Pick<ServiceDeps, 'executions' | 'settings' | 'events' | 'log'>,
  job: JobRecord,
  plan: DuePlan,
  now: number,
): Promise<number> {
  const skipped = plan.skipped.map((at, i) => {
    const earlier =
      i === plan.skipped.length - 1 && plan.unrecordedSkips > 0
        ? `; ${plan.unrecordedSkips} earlier runs were also missed`
        : '';
    return newExecution(
      job,
      iso(at),
      'schedule',
      'skipped',
      now,
      deps.settings.hotRetentionSeconds,
      `missed (misfire policy ${job.misfire})${earlier}`,
    );
  });
  const created = await Promise.all(skipped.map((item) => deps.executions.createExecution(item)));
  const recorded = skipped.filter((_, i) => created[i]);
  for (const item of recorded) await emit(deps, (events) => events.finished(job, item));
  return recorded.length;
}
