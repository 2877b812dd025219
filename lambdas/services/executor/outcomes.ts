import type { Attempt } from '../../../schemas/execution.js';
import type { ExecutionStatus } from '../../../schemas/job.js';
import type { RunMessage } from '../../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { ConditionFailed } from '../../core/errors.js';
import { verdictOf } from '../../core/execution/attempts.js';
import { cancelledExecution, finalized, newExecution, REAP_SLACK_MS } from '../../core/execution/records.js';
import { MAX_QUEUE_DELAY_MS, outgoing, runMessage } from '../../core/execution/run-messages.js';
import { canBeLastRun } from '../../core/execution/schedule-instants.js';
import { skippedFromQueue, waitingForRetry, withAttempt } from '../../core/execution/transitions.js';
import { finishedJob, finishedStatus } from '../../core/lifecycle.js';
import { isFinal } from '../../core/states.js';
import { emit, type ServiceDeps } from '../service-deps.js';
import type { JobReads } from './job-reads.js';
import type { ConcurrencyGate } from './slots.js';

/** What a delivery of a run message came to: a status, or what was done with the message instead. */
export type RunOutcome = ExecutionStatus | 'retrying' | 'dropped' | 'requeued';

/**
 * Writes what runs come to — an attempt and the status it leaves (final, or queued for a retry),
 * a skip, a cancel — and what follows a final status: the slot is released, a one-time job ends,
 * the listeners hear of it. Shared by the executor and the async targets' callbacks.
 */
export class OutcomeRecorder {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly owner: string,
    private readonly slots: ConcurrencyGate,
    /** The executor's batch reads: a finished run's dependents read with its batch. */
    private readonly jobReads?: Pick<JobReads, 'dependentsOf'>,
  ) {}

  private get retention(): number {
    return this.deps.settings.hotRetentionSeconds;
  }

  /** Writes the attempt and the resulting state: final, or queued again for a retry. */
  async recordOutcome(job: JobRecord, execution: ExecutionRecord, attempt: Attempt): Promise<RunOutcome> {
    const now = this.deps.clock.now();
    const recorded = withAttempt(execution, attempt);
    if (attempt.status !== 'cancelled' && attempt.status !== 'succeeded') {
      await emit(this.deps, (events) => events.attemptFailed(job, recorded));
    }
    const spent = recorded.attempts.length - (execution.attemptBase ?? 0);
    const verdict = verdictOf(attempt, spent, job.retry, now, this.deps.random);
    if (verdict.kind === 'final') {
      const final = finalized(recorded, verdict.status, now, this.retention);
      return this.writeFinal(
        job,
        verdict.status === 'cancelled' ? { ...final, reason: 'cancelled' } : final,
        execution.rev,
      );
    }
    return this.retry(job, execution, recorded, attempt, verdict.nextAttemptAt, now);
  }

  private async retry(
    job: JobRecord,
    execution: ExecutionRecord,
    recorded: ExecutionRecord,
    attempt: Attempt,
    nextAttemptAt: number,
    now: number,
  ): Promise<RunOutcome> {
    const onQueue = nextAttemptAt - now <= MAX_QUEUE_DELAY_MS;
    // Backoffs longer than SQS can delay wait on the `pending` index; the reaper sends them in time.
    const attention = onQueue
      ? nextAttemptAt + REAP_SLACK_MS
      : nextAttemptAt - this.deps.settings.lookaheadSeconds * 1000;
    const waiting = waitingForRetry(recorded, job, nextAttemptAt, attention);
    if (!(await this.deps.executions.recordOutcome(waiting, execution.rev))) {
      return this.settleLostWrite(job, waiting, attempt);
    }
    await this.slots.release(job, execution.executionId);
    if (onQueue) {
      const message = runMessage(job, execution.scheduledAt, execution.trigger, recorded.attempts.length + 1);
      await this.deps.queue
        .send([outgoing(job, message, nextAttemptAt, now)])
        .catch((error) =>
          this.deps.log.error('retry enqueue failed; the reaper will resend', { error: String(error) }),
        );
    }
    return 'retrying';
  }

  /** Cancels the execution for good (a cancel request that its executor or a callback acts on). */
  async cancel(job: JobRecord, execution: ExecutionRecord): Promise<RunOutcome> {
    const cancelled = cancelledExecution(execution, this.deps.clock.now(), this.retention);
    return this.writeFinal(job, cancelled, execution.rev);
  }

  async writeFinal(job: JobRecord, item: ExecutionRecord, expectedRev: number): Promise<RunOutcome> {
    if (!(await this.deps.executions.recordOutcome(item, expectedRev))) {
      return this.settleLostWrite(job, item, item.attempts.at(-1));
    }
    await this.slots.release(job, item.executionId);
    await this.afterFinal(job, item);
    return item.status;
  }

  /**
   * Our write lost to a concurrent one. A cancel request that arrived while the call ran is honoured
   * (the call's real outcome is kept as the attempt); anything else — a takeover after our lease
   * expired — wins over us.
   */
  async settleLostWrite(
    job: JobRecord,
    item: ExecutionRecord,
    attempt: Attempt | undefined,
  ): Promise<RunOutcome> {
    const current = await this.deps.executions.getExecution(item.executionId);
    if (
      !current ||
      isFinal(current.status) ||
      !current.cancelRequestedAt ||
      current.lease?.owner !== this.owner
    ) {
      return 'dropped';
    }
    const now = this.deps.clock.now();
    const base: ExecutionRecord = {
      ...current,
      attempts: attempt ? [...current.attempts, attempt] : current.attempts,
    };
    const final =
      item.status === 'succeeded'
        ? finalized(base, 'succeeded', now, this.retention)
        : cancelledExecution(base, now, this.retention);
    if (!(await this.deps.executions.recordOutcome(final, current.rev))) return 'dropped';
    await this.slots.release(job, item.executionId);
    await this.afterFinal(job, final);
    return final.status;
  }

  /** Records the run as skipped: a new record for a scheduled run, the queued record of a trigger or retry. */
  async recordSkipped(job: JobRecord, message: RunMessage, reason: string): Promise<RunOutcome> {
    const now = this.deps.clock.now();
    const skipped = newExecution(
      job,
      message.scheduledAt,
      message.trigger,
      'skipped',
      now,
      this.retention,
      reason,
    );
    if (await this.deps.executions.createExecution(skipped)) {
      await this.afterFinal(job, skipped);
      return 'skipped';
    }
    const current = await this.deps.executions.getExecution(message.executionId);
    if (current?.status !== 'queued' || message.attempt !== current.attempts.length + 1) return 'dropped';
    const final = skippedFromQueue(current, now, this.retention, reason);
    if (!(await this.deps.executions.recordOutcome(final, current.rev))) return 'dropped';
    await this.afterFinal(job, final);
    return 'skipped';
  }

  private async afterFinal(job: JobRecord, execution: ExecutionRecord): Promise<void> {
    await this.finishJobIfDone(job, execution);
    const dependents = this.jobReads?.dependentsOf(job.jobId);
    await emit(this.deps, (events) => events.finished(job, execution, dependents ? { dependents } : {}));
  }

  /**
   * A job whose last scheduled run just finished ends: one-time jobs `completed` or `failed`. Only
   * a run its schedule has no successor for can be the last: for the others nothing is read.
   */
  private async finishJobIfDone(job: JobRecord, execution: ExecutionRecord): Promise<void> {
    if (execution.trigger !== 'schedule' || !canBeLastRun(job, execution.scheduledAt)) return;
    const now = this.deps.clock.now();
    const finish = {
      status: finishedStatus(job, execution.status),
      planRev: job.planRev ?? 0,
      lastRunAt: execution.scheduledAt,
    };
    if (await this.deps.jobs.finishJob(job.jobId, finish, now)) return;
    // The job as this run read it is not the stored one (ended, re-planned, or the read was stale):
    // decide on a consistent read of it.
    await this.finishAsStored(job.jobId, execution, now);
  }

  private async finishAsStored(jobId: string, execution: ExecutionRecord, now: number): Promise<void> {
    const current = await this.deps.jobs.getJob(jobId);
    if (current?.status !== 'active' || current.nextRunAt !== undefined) return;
    if (current.enqueuedThrough !== undefined && current.enqueuedThrough !== execution.scheduledAt) return;
    try {
      await this.deps.jobs.replaceJob(
        finishedJob(current, execution.status, now),
        { version: current.version, nextRunAt: undefined },
        now,
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}
