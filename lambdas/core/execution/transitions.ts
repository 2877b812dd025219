import type { Attempt } from '../../../schemas/execution.js';
import type { RunMessage } from '../../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { jitterOffsetMs } from '../jitter.js';
import { assertExecutionTransition } from '../states.js';
import { iso, ms } from '../time.js';
import { finalized, pendingFields } from './records.js';

/**
 * An execution's state changes as pure functions: each takes the record as read and returns the
 * record to write (the store writes it only if nothing else wrote first), and refuses a change the
 * state table (core/states.ts) does not allow. Who calls them: services/executor/.
 */

export interface Lease {
  owner: string;
  /** Epoch ms: past it, the run counts as abandoned and may be taken over. */
  until: number;
}

/** When an attempt is due: its retry time, else the scheduled time plus the job's jitter (a run message's too). */
export function attemptDueAt(
  job: Pick<JobRecord, 'jitterSeconds'>,
  execution: Pick<ExecutionRecord, 'scheduledAt' | 'executionId' | 'nextAttemptAt'>,
): number {
  if (execution.nextAttemptAt) return ms(execution.nextAttemptAt);
  return ms(execution.scheduledAt) + jitterOffsetMs(execution.executionId, job.jitterSeconds);
}

/** How late a first attempt started: never negative, whole milliseconds. */
export function lateBy(startedAt: number, dueAt: number): number {
  return Math.max(0, Math.round(startedAt - dueAt));
}

/** A lease that covers the call (from its due time, or now if later) and a margin past its timeout. */
export function leaseFor(
  owner: string,
  job: Pick<JobRecord, 'timeoutSeconds'>,
  dueAt: number,
  now: number,
  marginMs: number,
): Lease {
  return { owner, until: Math.max(dueAt, now) + job.timeoutSeconds * 1000 + marginMs };
}

/**
 * Leased, and on the `pending` index until the lease ends: for runs that a message may not bring
 * back — an async target's (the message is gone once the target took over), and a claimed record
 * that existed before its delivery (a trigger, a retry, a replay: the sweep that re-sends those
 * when their message is lost keeps watching them).
 */
function leased(job: Pick<JobRecord, 'shard'>, lease: Lease) {
  return { lease, ...pendingFields(job, lease.until) };
}

function moved(execution: ExecutionRecord, to: ExecutionRecord['status']): void {
  assertExecutionTransition(execution.executionId, execution.status, to);
}

/**
 * A scheduled run's first delivery claims it by recording it, already running under its lease. The
 * record is on no index (one write unit): the run message, kept until the result is written, is
 * what brings the run back if this executor dies (LeaseHeld hands a redelivery back until the lease
 * ends; after it, the claim records the lost attempt).
 */
export function freshClaim(
  message: RunMessage,
  job: JobRecord,
  callbackTokenHash: string,
  lease: (due: number) => Lease,
): ExecutionRecord {
  const fresh: ExecutionRecord = {
    executionId: message.executionId,
    jobId: job.jobId,
    tenant: job.tenant,
    scheduledAt: message.scheduledAt,
    trigger: 'schedule',
    status: 'running',
    attempts: [],
    rev: 1,
    priority: job.priority,
    callbackTokenHash,
  };
  return { ...fresh, lease: lease(attemptDueAt(job, fresh)) };
}

/** A queued execution (a trigger, a retry, a replay) leased to the executor that will call its target. */
export function claimed(
  current: ExecutionRecord,
  job: JobRecord,
  callbackTokenHash: string,
  lease: Lease,
): ExecutionRecord {
  moved(current, 'running');
  return { ...current, status: 'running', rev: current.rev + 1, callbackTokenHash, ...leased(job, lease) };
}

/** The target took the run over (202 async): it runs on under a lease its heartbeats extend. */
export function awaitingCallback(
  execution: ExecutionRecord,
  job: JobRecord,
  open: Attempt,
  lease: Lease,
): ExecutionRecord {
  moved(execution, 'running');
  return {
    ...execution,
    rev: execution.rev + 1,
    awaitingCallback: true,
    attempts: [...execution.attempts, open],
    ...leased(job, lease),
  };
}

/** An async target's heartbeat: the lease moves on. */
export function leaseExtended(execution: ExecutionRecord, job: JobRecord, lease: Lease): ExecutionRecord {
  moved(execution, 'running');
  return { ...execution, rev: execution.rev + 1, ...leased(job, lease) };
}

/** A cancel asked while the call runs: its executor sees it within a second and aborts the call. */
export function cancelRequested(execution: ExecutionRecord, now: number): ExecutionRecord {
  moved(execution, 'running');
  return { ...execution, rev: execution.rev + 1, cancelRequestedAt: iso(now) };
}

/** The execution with an attempt added and the callback's state gone (the attempt closed it). */
export function withAttempt(execution: ExecutionRecord, attempt: Attempt): ExecutionRecord {
  const { awaitingCallback: _a, callbackTokenHash: _t, ...base } = execution;
  return { ...base, attempts: [...execution.attempts, attempt] };
}

/**
 * Queued again for the attempt due at `nextAttemptAt`, watched from `attentionAt` (the reaper
 * re-sends the message if it goes missing, or sends it at all when SQS cannot hold it that long).
 */
export function waitingForRetry(
  execution: ExecutionRecord,
  job: JobRecord,
  nextAttemptAt: number,
  attentionAt: number,
): ExecutionRecord {
  return queuedAgain(execution, job, nextAttemptAt, attentionAt);
}

/** Back in the queue for its next attempt at `nextAttemptAt`, no longer leased to anyone. */
function queuedAgain(
  execution: ExecutionRecord,
  job: JobRecord,
  nextAttemptAt: number,
  attentionAt: number,
): ExecutionRecord {
  moved(execution, 'queued');
  const { lease: _l, ...rest } = execution;
  return {
    ...rest,
    status: 'queued',
    rev: execution.rev + 1,
    nextAttemptAt: iso(nextAttemptAt),
    ...pendingFields(job, attentionAt),
  };
}

/** A shutdown cut the call short: the run goes back to the queue without spending its retry budget. */
export function requeuedAfterShutdown(
  execution: ExecutionRecord,
  job: JobRecord,
  attempt: Attempt,
  now: number,
): ExecutionRecord {
  const queued = queuedAgain(execution, job, now, now);
  return {
    ...queued,
    attempts: [...execution.attempts, attempt],
    attemptBase: (execution.attemptBase ?? 0) + 1,
  };
}

/** A dead execution queued again now, with a fresh retry budget. */
export function replayed(
  execution: ExecutionRecord,
  job: JobRecord,
  now: number,
  attentionAt: number,
): ExecutionRecord {
  moved(execution, 'queued');
  const { finishedAt: _f, expiresAt: _e, ...rest } = execution;
  return {
    ...rest,
    status: 'queued',
    rev: execution.rev + 1,
    attemptBase: execution.attempts.length,
    replayedAt: iso(now),
    nextAttemptAt: iso(now),
    ...pendingFields(job, attentionAt),
  };
}

/** A queued run whose delivery came and may not run (misfire, overlap): skipped, with the reason. */
export function skippedFromQueue(
  current: ExecutionRecord,
  now: number,
  hotRetentionSeconds: number,
  reason: string,
): ExecutionRecord {
  return { ...finalized(current, 'skipped', now, hotRetentionSeconds), reason };
}

/** The watcher re-sent a pending execution's message: it looks again from `attentionAt`. */
export function resent(execution: ExecutionRecord, job: JobRecord, attentionAt: number): ExecutionRecord {
  return { ...execution, rev: execution.rev + 1, ...pendingFields(job, attentionAt) };
}

/** Default time past the call's own timeout before a silent executor's lease is considered lost. */
export const LEASE_MARGIN_MS = 30_000;

/** The deployment's lease margin (SCHEDULER settings give it in seconds), or the default. */
export function leaseMarginMs(seconds: number | undefined): number {
  return seconds === undefined ? LEASE_MARGIN_MS : seconds * 1000;
}
