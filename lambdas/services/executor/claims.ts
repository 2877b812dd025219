import type { RunMessage } from '../../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { lostAttempt } from '../../core/execution/attempts.js';
import { hashToken } from '../../core/execution/callback-token.js';
import { queuedOneOffRun } from '../../core/execution/records.js';
import { isFirstScheduledAttempt, MAX_QUEUE_DELAY_MS } from '../../core/execution/run-messages.js';
import { attemptDueAt, claimed, freshClaim, type Lease, leaseFor } from '../../core/execution/transitions.js';
import { isFinal } from '../../core/states.js';
import type { ServiceDeps } from '../service-deps.js';
import type { OutcomeRecorder } from './outcomes.js';

/**
 * A delivery of a run whose lease another executor holds: the message is handed back to come again
 * when the lease ends (a batch failure whose visibility is the lease's remainder), since it is the
 * only thing that brings the run back if that executor died.
 */
export class LeaseHeld extends Error {
  constructor(
    readonly executionId: string,
    readonly remainingMs: number,
  ) {
    super(`execution ${executionId} is leased to another executor for ${remainingMs} ms more`);
    this.name = 'LeaseHeld';
  }

  /** Whole seconds until the lease ends (SQS visibility), at least 1. */
  get remainingSeconds(): number {
    return Math.max(1, Math.ceil(this.remainingMs / 1000));
  }
}

/**
 * The claim: a conditional write that leases the execution to this executor, so of two deliveries
 * of one run exactly one calls the target. A first scheduled attempt creates its record; anything
 * else (a trigger, a retry, a replay, a redelivery) takes the queued record it finds, and settles
 * on the way what it finds instead: a cancel request, or a lease its holder let expire.
 */
export class RunClaims {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly owner: string,
    private readonly outcomes: OutcomeRecorder,
    private readonly leaseMarginMs: number,
  ) {}

  /** A lease for a call due at `dueAt`, taken at `now`. */
  leaseFor(job: JobRecord, dueAt: number, now: number): Lease {
    return leaseFor(this.owner, job, dueAt, now, this.leaseMarginMs);
  }

  /** The execution now leased to this executor, or null: a duplicate, or nothing left to run. */
  async claim(
    message: RunMessage,
    job: JobRecord,
    now: number,
    token: string,
  ): Promise<ExecutionRecord | null> {
    const { executions } = this.deps;
    const callbackTokenHash = hashToken(token);
    if (isFirstScheduledAttempt(message)) {
      const fresh = freshClaim(message, job, callbackTokenHash, (due) => this.leaseFor(job, due, now));
      if (await executions.createExecution(fresh)) return fresh;
    }
    const unread = await this.claimUnread(message, job, callbackTokenHash, now);
    if (unread) return unread;
    const current = await executions.getExecution(message.executionId);
    if (!current || isFinal(current.status)) return null;
    if (current.cancelRequestedAt) {
      await this.outcomes.cancel(job, current);
      return null;
    }
    if (current.status === 'running') {
      if (current.lease && current.lease.until > now) {
        // A target holds it (async, on the pending index): this delivery is a duplicate.
        if (current.awaitingCallback) return null;
        // An executor holds it, and this message is what covers it: it must come back when the
        // lease ends (the holder may have died), not be dropped.
        throw new LeaseHeld(current.executionId, current.lease.until - now);
      }
      // The executor (or async target) that held the lease went silent: its attempt counts as failed.
      const lost = lostAttempt(current, now);
      await this.outcomes.recordOutcome(job, lost.execution, lost.attempt);
      return null;
    }
    if (message.attempt !== current.attempts.length + 1) return null;
    const dueAt = attemptDueAt(job, current);
    if (dueAt - now > MAX_QUEUE_DELAY_MS) return null; // too early: the reaper sends it closer to its time
    const next = claimed(current, job, callbackTokenHash, this.leaseFor(job, dueAt, now));
    return (await executions.claim(next, current.rev)) ? next : null;
  }

  /**
   * A one-off run's first attempt claimed without reading its record: the record the API or the
   * dependency round wrote is rebuilt from the message, and the claim's condition (still at that
   * first revision) stands for the read. Anything that happened to it since — a cancel request, a
   * claim by another delivery — moved its revision on; null then, and the claim reads what is there.
   */
  private async claimUnread(
    message: RunMessage,
    job: JobRecord,
    callbackTokenHash: string,
    now: number,
  ): Promise<ExecutionRecord | null> {
    if (message.attempt !== 1 || (message.trigger !== 'manual' && message.trigger !== 'dependency')) {
      return null;
    }
    const recorded = queuedOneOffRun(
      job,
      message.scheduledAt,
      message.trigger,
      this.deps.settings.hotRetentionSeconds,
    );
    const dueAt = attemptDueAt(job, recorded);
    if (dueAt - now > MAX_QUEUE_DELAY_MS) return null;
    const next = claimed(recorded, job, callbackTokenHash, this.leaseFor(job, dueAt, now));
    return (await this.deps.executions.claim(next, recorded.rev)) ? next : null;
  }
}
