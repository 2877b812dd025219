import type { Attempt } from '../../schemas/execution.js';
import type { ExecutionStatus } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { ExecutionItem, JobItem } from '../../schemas/stored.js';
import { backoffDelayMs, isRetryable } from '../core/backoff.js';
import { ConditionFailed } from '../core/errors.js';
import { jitterOffsetMs } from '../core/jitter.js';
import { lateRunDecision } from '../core/misfire.js';
import type { HttpOutcome } from '../core/ports.js';
import { signatureHeader } from '../core/signing.js';
import { iso, ms } from '../core/time.js';
import { isFinal, isJobFinished } from '../core/transitions.js';
import type { ServiceDeps } from './deps.js';
import { scheduleOf } from './jobs-service.js';
import { finalized, newExecution, outgoing, pendingFields, REAP_SLACK_MS, runMessage } from './runs.js';

/** Time past the call's own timeout before a silent executor's lease is considered lost. */
export const LEASE_MARGIN_MS = 30_000;
/** How often a running call checks whether its execution was cancelled. */
export const CANCEL_POLL_MS = 1000;
const MAX_QUEUE_DELAY_MS = 900_000;

export type RunOutcome = ExecutionStatus | 'retrying' | 'dropped';

/**
 * Runs one delivery of a run message: gate on the job's state and the misfire rule, claim the
 * execution with a conditional write, wait the sub-second residual, call the target, record.
 */
export class ExecuteService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly owner: string,
  ) {}

  async handle(message: RunMessage): Promise<RunOutcome> {
    const { jobs, clock } = this.deps;
    const job = await jobs.getJob(message.jobId);
    if (!job || job.tenant !== message.tenant) return this.drop(message, 'job not found');
    if (!allowsRun(job, message)) return this.drop(message, `job is ${job.status}`);
    const now = clock.now();
    const scheduledAt = ms(message.scheduledAt);
    if (
      message.trigger === 'schedule' &&
      message.attempt === 1 &&
      !message.lateAccepted &&
      lateRunDecision({ ...scheduleOf(job), nextRunAt: scheduledAt, scheduledAt }, now) === 'skip'
    ) {
      const reason = `missed: picked up ${now - scheduledAt} ms after its scheduled time (grace ${job.misfireGraceSeconds} s)`;
      const skipped = newExecution(
        job,
        message.scheduledAt,
        'schedule',
        'skipped',
        now,
        this.retention,
        reason,
      );
      if (await this.deps.executions.createExecution(skipped)) await this.finishJobIfDone(job, skipped);
      return 'skipped';
    }
    const claimed = await this.claim(message, job, now);
    if (!claimed) return 'dropped';
    return this.run(job, claimed);
  }

  private get retention(): number {
    return this.deps.settings.hotRetentionSeconds;
  }

  private drop(message: RunMessage, why: string): RunOutcome {
    this.deps.log.info('run dropped', { executionId: message.executionId, why });
    return 'dropped';
  }

  private dueAt(job: JobItem, execution: ExecutionItem): number {
    if (execution.nextAttemptAt) return ms(execution.nextAttemptAt);
    return ms(execution.scheduledAt) + jitterOffsetMs(execution.executionId, job.jitterSeconds);
  }

  private leaseFor(job: JobItem, dueAt: number, now: number) {
    const until = Math.max(dueAt, now) + job.timeoutSeconds * 1000 + LEASE_MARGIN_MS;
    return { lease: { owner: this.owner, until }, ...pendingFields(job, until) };
  }

  /** Conditional claim: returns the execution now leased to this executor, or null for a duplicate. */
  private async claim(message: RunMessage, job: JobItem, now: number): Promise<ExecutionItem | null> {
    const { executions } = this.deps;
    if (message.trigger === 'schedule' && message.attempt === 1) {
      const fresh: ExecutionItem = {
        executionId: message.executionId,
        jobId: job.jobId,
        tenant: job.tenant,
        scheduledAt: message.scheduledAt,
        trigger: 'schedule',
        status: 'running',
        attempts: [],
        rev: 1,
        priority: job.priority,
      };
      const leased = { ...fresh, ...this.leaseFor(job, this.dueAt(job, fresh), now) };
      if (await executions.createExecution(leased)) return leased;
    }
    const current = await executions.getExecution(message.executionId);
    if (!current || isFinal(current.status)) return null;
    if (current.cancelRequestedAt) {
      await this.writeFinal(
        job,
        { ...finalized(current, 'cancelled', now, this.retention), reason: 'cancelled' },
        current.rev,
      );
      return null;
    }
    if (current.status === 'running') {
      if (current.lease && current.lease.until > now) return null;
      // The executor that held the lease is gone: its attempt counts as failed.
      await this.recordOutcome(job, current, {
        attempt: current.attempts.length + 1,
        startedAt: current.startedAt ?? iso(now),
        finishedAt: iso(now),
        status: 'failed',
        statusCode: null,
        error: 'lease expired: the executor stopped before recording a result',
        durationMs: null,
      });
      return null;
    }
    if (message.attempt !== current.attempts.length + 1) return null;
    const dueAt = this.dueAt(job, current);
    if (dueAt - now > MAX_QUEUE_DELAY_MS) return null; // too early: the reaper sends it closer to its time
    const claimed: ExecutionItem = {
      ...current,
      status: 'running',
      rev: current.rev + 1,
      ...this.leaseFor(job, dueAt, now),
    };
    try {
      await executions.replaceExecution(claimed, current.rev);
      return claimed;
    } catch (error) {
      if (error instanceof ConditionFailed) return null;
      throw error;
    }
  }

  private async run(job: JobItem, claimed: ExecutionItem): Promise<RunOutcome> {
    const { clock, http } = this.deps;
    const dueAt = this.dueAt(job, claimed);
    await clock.sleep(Math.max(0, dueAt - clock.now()));
    const attemptNo = claimed.attempts.length + 1;
    const started = clock.now();
    const body = job.target.body ?? '';
    const secret = this.deps.signing.secretsFor(job.tenant)[0];
    const headers: Record<string, string> = {
      ...(job.target.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...job.target.headers,
      'idempotency-key': claimed.executionId,
      'x-scheduler-job-id': job.jobId,
      'x-scheduler-execution-id': claimed.executionId,
      'x-scheduler-scheduled-at': claimed.scheduledAt,
      'x-scheduler-attempt': String(attemptNo),
      ...(secret
        ? { 'x-scheduler-signature': signatureHeader(secret, Math.floor(started / 1000), body) }
        : {}),
    };
    const controller = new AbortController();
    const stopWatching = this.watchForCancel(claimed.executionId, controller);
    let outcome: HttpOutcome;
    try {
      outcome = await http.call({
        url: job.target.url,
        method: job.target.method,
        headers,
        ...(job.target.method === 'GET' ? {} : { body }),
        timeoutMs: job.timeoutSeconds * 1000,
        signal: controller.signal,
      });
    } finally {
      stopWatching();
    }
    const finished = clock.now();
    const attempt: Attempt = {
      attempt: attemptNo,
      startedAt: iso(started),
      finishedAt: iso(finished),
      status: attemptStatus(outcome),
      statusCode: outcome.kind === 'response' ? outcome.statusCode : null,
      error:
        outcome.kind === 'error'
          ? outcome.error
          : outcome.statusCode >= 300
            ? `HTTP ${outcome.statusCode}`
            : null,
      durationMs: outcome.durationMs,
    };
    const first =
      attemptNo === 1 ? { startedAt: iso(started), lateByMs: Math.max(0, Math.round(started - dueAt)) } : {};
    return this.recordOutcome(job, { ...claimed, ...first }, attempt);
  }

  /** Polls the execution about once a second while the call runs and aborts it on a cancel request. */
  private watchForCancel(executionId: string, controller: AbortController): () => void {
    const stop = new AbortController();
    const loop = async () => {
      while (!stop.signal.aborted) {
        await this.deps.clock.sleep(CANCEL_POLL_MS, stop.signal);
        if (stop.signal.aborted) return;
        const current = await this.deps.executions.getExecution(executionId).catch(() => null);
        if (current?.cancelRequestedAt || current?.status === 'cancelled') {
          controller.abort();
          return;
        }
      }
    };
    void loop();
    return () => stop.abort();
  }

  /** Writes the attempt and the resulting state: final, or queued again for a retry. */
  private async recordOutcome(job: JobItem, execution: ExecutionItem, attempt: Attempt): Promise<RunOutcome> {
    const now = this.deps.clock.now();
    const attempts = [...execution.attempts, attempt];
    const withAttempt: ExecutionItem = { ...execution, attempts };
    if (attempt.status === 'cancelled') {
      return this.writeFinal(
        job,
        { ...finalized(withAttempt, 'cancelled', now, this.retention), reason: 'cancelled' },
        execution.rev,
      );
    }
    if (attempt.status === 'succeeded') {
      return this.writeFinal(job, finalized(withAttempt, 'succeeded', now, this.retention), execution.rev);
    }
    const retryable = isRetryable(
      { statusCode: attempt.statusCode, timedOut: attempt.status === 'timed_out' },
      job.retry,
    );
    if (retryable && attempts.length < job.retry.maxAttempts) {
      const nextAttemptAt = now + backoffDelayMs(job.retry, attempts.length + 1, this.deps.random);
      const onQueue = nextAttemptAt - now <= MAX_QUEUE_DELAY_MS;
      // Backoffs longer than SQS can delay wait on the `pending` index; the reaper sends them in time.
      const attention = onQueue
        ? nextAttemptAt + REAP_SLACK_MS
        : nextAttemptAt - this.deps.settings.lookaheadSeconds * 1000;
      const { lease: _l, ...rest } = withAttempt;
      const waiting: ExecutionItem = {
        ...rest,
        status: 'queued',
        rev: execution.rev + 1,
        nextAttemptAt: iso(nextAttemptAt),
        ...pendingFields(job, attention),
      };
      const written = await this.write(waiting, execution.rev);
      if (!written) return 'dropped';
      if (onQueue) {
        const message = runMessage(job, execution.scheduledAt, execution.trigger, attempts.length + 1);
        await this.deps.queue
          .send([outgoing(job, message, nextAttemptAt, now)])
          .catch((error) => this.deps.log.error('retry enqueue failed; the reaper will resend', { error }));
      }
      return 'retrying';
    }
    const status: ExecutionStatus =
      job.retry.maxAttempts > 1 && retryable
        ? 'dead'
        : attempt.status === 'timed_out'
          ? 'timed_out'
          : 'failed';
    return this.writeFinal(job, finalized(withAttempt, status, now, this.retention), execution.rev);
  }

  private async writeFinal(job: JobItem, item: ExecutionItem, expectedRev: number): Promise<RunOutcome> {
    if (!(await this.write(item, expectedRev))) {
      // Someone changed the execution meanwhile: a cancel request is honoured, anything else wins over us.
      const current = await this.deps.executions.getExecution(item.executionId);
      if (
        !current ||
        isFinal(current.status) ||
        !current.cancelRequestedAt ||
        current.lease?.owner !== this.owner
      ) {
        return 'dropped';
      }
      const status = item.status === 'succeeded' ? 'succeeded' : 'cancelled';
      const retried = {
        ...item,
        status,
        rev: current.rev + 1,
        cancelRequestedAt: current.cancelRequestedAt,
      } as ExecutionItem;
      if (!(await this.write(retried, current.rev))) return 'dropped';
      await this.finishJobIfDone(job, retried);
      return retried.status;
    }
    await this.finishJobIfDone(job, item);
    return item.status;
  }

  private async write(item: ExecutionItem, expectedRev: number): Promise<boolean> {
    try {
      await this.deps.executions.replaceExecution(item, expectedRev);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }

  /** A job whose last scheduled run just finished ends: one-time jobs `completed` or `failed`. */
  private async finishJobIfDone(job: JobItem, execution: ExecutionItem): Promise<void> {
    if (execution.trigger !== 'schedule') return;
    const current = await this.deps.jobs.getJob(job.jobId);
    if (current?.status !== 'active' || current.nextRunAt !== undefined) return;
    if (current.enqueuedThrough !== undefined && current.enqueuedThrough !== execution.scheduledAt) return;
    const oneTime = current.schedule.type === 'once' || current.schedule.type === 'immediate';
    const status =
      oneTime && execution.status !== 'succeeded' && execution.status !== 'skipped' ? 'failed' : 'completed';
    try {
      await this.deps.jobs.replaceJob(
        { ...current, status, version: current.version + 1, updatedAt: iso(this.deps.clock.now()) },
        { version: current.version, nextRunAt: undefined },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}

function allowsRun(job: JobItem, message: RunMessage): boolean {
  if (job.status === 'active') return true;
  if (job.status === 'paused') return message.trigger !== 'schedule';
  if (isJobFinished(job.status)) return job.status !== 'cancelled' && message.trigger !== 'schedule';
  return false;
}

function attemptStatus(outcome: HttpOutcome): Attempt['status'] {
  if (outcome.kind === 'error')
    return outcome.timedOut ? 'timed_out' : outcome.aborted ? 'cancelled' : 'failed';
  return outcome.statusCode >= 200 && outcome.statusCode < 300 ? 'succeeded' : 'failed';
}
