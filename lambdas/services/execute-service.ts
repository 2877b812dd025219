import { createHash, timingSafeEqual } from 'node:crypto';
import type { Attempt } from '../../schemas/execution.js';
import type { ExecutionStatus } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import { isPermanentFailure } from '../core/aws-targets.js';
import { backoffDelayMs, isRetryable } from '../core/backoff.js';
import { ConditionFailed, InvalidState, Unauthorized } from '../core/errors.js';
import { jitterOffsetMs } from '../core/jitter.js';
import { scheduleOf } from '../core/job-schedule.js';
import { isRunOfCurrentPlan } from '../core/lifecycle.js';
import { lateRunDecision } from '../core/misfire.js';
import type { TargetOutcome } from '../core/ports/aws-target-caller.js';
import type { HttpOutcome } from '../core/ports/http-caller.js';
import { isTargetRefusal } from '../core/ssrf.js';
import { iso, ms } from '../core/time.js';
import { isFinal } from '../core/transitions.js';
import { emit, type ServiceDeps } from './deps.js';
import { finalized, newExecution, outgoing, pendingFields, REAP_SLACK_MS, runMessage } from './runs.js';
import { callTarget } from './target-call.js';

/** Default time past the call's own timeout before a silent executor's lease is considered lost. */
export const LEASE_MARGIN_MS = 30_000;
/** How often a running call checks whether its execution was cancelled. */
export const CANCEL_POLL_MS = 1000;
/** A run blocked by its job's concurrency limit under `overlap: queue` comes back after this long. */
export const OVERLAP_REQUEUE_SECONDS = 2;
const MAX_QUEUE_DELAY_MS = 900_000;
const SHUTDOWN = 'scheduler shutting down';

export type RunOutcome = ExecutionStatus | 'retrying' | 'dropped' | 'requeued';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function tokenMatches(token: string | undefined, hash: string | undefined): boolean {
  if (!token || !hash) return false;
  const given = Buffer.from(hashToken(token));
  const stored = Buffer.from(hash);
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** 202 {"async":true}: the target takes over and reports through heartbeat/complete. */
function isAsyncAcceptance(outcome: HttpOutcome): boolean {
  if (outcome.kind !== 'response' || outcome.statusCode !== 202) return false;
  try {
    return (JSON.parse(outcome.body) as { async?: unknown })?.async === true;
  } catch {
    return false;
  }
}

function attemptStatus(outcome: HttpOutcome): Attempt['status'] {
  if (outcome.kind === 'error')
    return outcome.timedOut ? 'timed_out' : outcome.aborted ? 'cancelled' : 'failed';
  return outcome.statusCode >= 200 && outcome.statusCode < 300 ? 'succeeded' : 'failed';
}

/** Enough of a redirect's Location to recognise it, keeping the attempt record small. */
const LOCATION_SHOWN_CHARS = 256;

/** What went wrong with an attempt, or null when it succeeded. A redirect names where it pointed. */
function attemptError(outcome: HttpOutcome): string | null {
  if (outcome.kind === 'error') return outcome.error;
  const code = outcome.statusCode;
  if (code < 300) return null;
  if (code >= 400) return `HTTP ${code}`;
  if (outcome.location === undefined)
    return `HTTP ${code}: redirect without a Location, which is not followed`;
  const shown =
    outcome.location.length > LOCATION_SHOWN_CHARS
      ? `${outcome.location.slice(0, LOCATION_SHOWN_CHARS)}…`
      : outcome.location;
  return `HTTP ${code}: redirect to ${shown}, which is not followed (point the job at the final URL)`;
}

/**
 * Whether the job's state lets this delivery run. New scheduled runs need an active job; retries of
 * a run already under way, manual triggers and replays go on while it is paused or finished — only a
 * cancel stops everything.
 */
function allowsRun(job: JobRecord, message: RunMessage): boolean {
  if (job.status === 'active') return true;
  if (job.status === 'cancelled') return false;
  return message.trigger !== 'schedule' || message.attempt > 1;
}

/**
 * Runs one delivery of a run message: gate on the job's state, the misfire rule and its
 * concurrency limit, claim the execution with a conditional write, wait the sub-second residual,
 * call the target, record. Also answers the callbacks of long-running (async) targets.
 */
export class ExecuteService {
  /** Calls in flight in this process, so a shutdown can interrupt and release them. */
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly owner: string,
  ) {}

  private get retention(): number {
    return this.deps.settings.hotRetentionSeconds;
  }

  private get leaseMarginMs(): number {
    const seconds = this.deps.settings.leaseMarginSeconds;
    return seconds === undefined ? LEASE_MARGIN_MS : seconds * 1000;
  }

  async handle(message: RunMessage): Promise<RunOutcome> {
    const { jobs, slots, clock } = this.deps;
    const job = await jobs.getJob(message.jobId);
    if (!job || job.tenant !== message.tenant) return this.drop(message, 'job not found');
    if (!allowsRun(job, message)) return this.drop(message, `job is ${job.status}`);
    if (!isRunOfCurrentPlan(job, message)) {
      return this.drop(message, 'superseded: the schedule changed, or the job was paused or resumed');
    }
    const now = clock.now();
    const scheduledAt = ms(message.scheduledAt);
    if (
      message.trigger === 'schedule' &&
      message.attempt === 1 &&
      !message.lateAccepted &&
      lateRunDecision({ ...scheduleOf(job), nextRunAt: scheduledAt, scheduledAt }, now) === 'skip'
    ) {
      const reason = `missed: picked up ${now - scheduledAt} ms after its scheduled time (grace ${job.misfireGraceSeconds} s)`;
      return this.recordSkipped(job, message, reason);
    }
    if (await this.heldByTenantCap(job, message, now)) return 'requeued';
    const slot = await this.takeSlot(job, message, now);
    if (slot === 'skip') {
      return this.recordSkipped(
        job,
        message,
        `overlap: the job already runs ${job.concurrency?.max} at once`,
      );
    }
    if (slot === 'requeue') return 'requeued';
    const token = this.deps.secureToken();
    const claimed = await this.claim(message, job, now, token);
    if (!claimed) {
      if (slot === 'acquired') await slots.releaseSlot(job.jobId, message.executionId);
      return 'dropped';
    }
    return this.run(job, claimed, token);
  }

  private drop(message: RunMessage, why: string): RunOutcome {
    this.deps.log.info('run dropped', { executionId: message.executionId, why });
    return 'dropped';
  }

  /**
   * The tenant's executions-per-minute cap (tenant-policy.ts), so one tenant's flood cannot hold the
   * executors against the others. Over it the run goes back on the queue for a later minute, late
   * but not missed (`lateAccepted`): the cap delays runs, it never drops them.
   */
  private async heldByTenantCap(job: JobRecord, message: RunMessage, now: number): Promise<boolean> {
    const gate = this.deps.policy?.executions;
    if (!gate) return false;
    const admission = await gate.admit(job.tenant, now);
    if (admission.admitted) return false;
    const later = { ...message, lateAccepted: true };
    await this.deps.queue.send([
      { message: later, priority: job.priority, delaySeconds: admission.delaySeconds },
    ]);
    this.deps.log.info('run held back by the tenant cap', {
      executionId: message.executionId,
      delaySeconds: admission.delaySeconds,
    });
    return true;
  }

  /** Records the run as skipped: a new record for a scheduled run, the queued record of a trigger or retry. */
  private async recordSkipped(job: JobRecord, message: RunMessage, reason: string): Promise<RunOutcome> {
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
    const final: ExecutionRecord = { ...finalized(current, 'skipped', now, this.retention), reason };
    if (!(await this.deps.executions.recordOutcome(final, current.rev))) return 'dropped';
    await this.afterFinal(job, final);
    return 'skipped';
  }

  /**
   * Per-job concurrency: a slot per running execution, released on every exit (and reclaimed
   * when its holder's lease passes, so a crashed executor frees it too).
   */
  private async takeSlot(
    job: JobRecord,
    message: RunMessage,
    now: number,
  ): Promise<'none' | 'acquired' | 'held' | 'skip' | 'requeue'> {
    const limit = job.concurrency;
    if (!limit || limit.overlap === 'allow') return 'none';
    const due = Math.max(
      now,
      ms(message.scheduledAt) + jitterOffsetMs(message.executionId, job.jitterSeconds),
    );
    const until = due + job.timeoutSeconds * 1000 + this.leaseMarginMs;
    const result = await this.deps.slots.acquireSlot(job.jobId, message.executionId, limit.max, until, now);
    if (result !== 'full') return result;
    if (limit.overlap === 'skip' && message.attempt === 1) return 'skip';
    const again = { ...message, lateAccepted: true };
    await this.deps.queue.send([
      { message: again, priority: job.priority, delaySeconds: OVERLAP_REQUEUE_SECONDS },
    ]);
    return 'requeue';
  }

  private dueAt(job: JobRecord, execution: ExecutionRecord): number {
    if (execution.nextAttemptAt) return ms(execution.nextAttemptAt);
    return ms(execution.scheduledAt) + jitterOffsetMs(execution.executionId, job.jitterSeconds);
  }

  private leaseFor(job: JobRecord, dueAt: number, now: number) {
    const until = Math.max(dueAt, now) + job.timeoutSeconds * 1000 + this.leaseMarginMs;
    return { lease: { owner: this.owner, until }, ...pendingFields(job, until) };
  }

  /** Conditional claim: returns the execution now leased to this executor, or null for a duplicate. */
  private async claim(
    message: RunMessage,
    job: JobRecord,
    now: number,
    token: string,
  ): Promise<ExecutionRecord | null> {
    const { executions } = this.deps;
    const callbackTokenHash = hashToken(token);
    if (message.trigger === 'schedule' && message.attempt === 1) {
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
      // The executor (or async target) that held the lease went silent: its attempt counts as failed.
      const last = current.attempts.at(-1);
      const lost: Attempt =
        last?.status === 'running'
          ? {
              ...last,
              finishedAt: iso(now),
              status: 'failed',
              error: 'lease expired: no heartbeat or completion in time',
            }
          : {
              attempt: current.attempts.length + 1,
              startedAt: current.startedAt ?? iso(now),
              finishedAt: iso(now),
              status: 'failed',
              statusCode: null,
              error: 'lease expired: the executor stopped before recording a result',
              durationMs: null,
            };
      const attempts = last?.status === 'running' ? [...current.attempts.slice(0, -1)] : current.attempts;
      await this.recordOutcome(job, { ...current, attempts }, lost);
      return null;
    }
    if (message.attempt !== current.attempts.length + 1) return null;
    const dueAt = this.dueAt(job, current);
    if (dueAt - now > MAX_QUEUE_DELAY_MS) return null; // too early: the reaper sends it closer to its time
    const claimed: ExecutionRecord = {
      ...current,
      status: 'running',
      rev: current.rev + 1,
      callbackTokenHash,
      ...this.leaseFor(job, dueAt, now),
    };
    return (await this.deps.executions.claim(claimed, current.rev)) ? claimed : null;
  }

  private async run(job: JobRecord, claimed: ExecutionRecord, token: string): Promise<RunOutcome> {
    const { clock } = this.deps;
    const dueAt = this.dueAt(job, claimed);
    await clock.sleep(Math.max(0, dueAt - clock.now()));
    const attemptNo = claimed.attempts.length + 1;
    const started = clock.now();
    const controller = new AbortController();
    this.inFlight.set(claimed.executionId, controller);
    if (attemptNo === 1) {
      const lateByMs = Math.max(0, Math.round(started - dueAt));
      await emit(this.deps, (events) => events.started(job, claimed, lateByMs));
    }
    const stopWatching = this.watchForCancel(claimed.executionId, controller);
    let outcome: TargetOutcome;
    try {
      outcome = await callTarget(this.deps, {
        job,
        execution: claimed,
        attempt: attemptNo,
        token,
        startedAt: started,
        signal: controller.signal,
      });
    } finally {
      stopWatching();
      this.inFlight.delete(claimed.executionId);
    }
    const finished = clock.now();
    const first =
      attemptNo === 1 ? { startedAt: iso(started), lateByMs: Math.max(0, Math.round(started - dueAt)) } : {};
    const execution = { ...claimed, ...first };
    if (isAsyncAcceptance(outcome)) return this.awaitCallback(job, execution, attemptNo, started);
    const interrupted = controller.signal.aborted && controller.signal.reason === SHUTDOWN;
    const attempt: Attempt = {
      attempt: attemptNo,
      startedAt: iso(started),
      finishedAt: iso(finished),
      status: interrupted ? 'failed' : attemptStatus(outcome),
      statusCode: outcome.kind === 'response' ? outcome.statusCode : null,
      error: interrupted ? `interrupted: ${SHUTDOWN}` : attemptError(outcome),
      durationMs: outcome.durationMs,
      ...(outcome.response ? { response: outcome.response } : {}),
    };
    if (interrupted) return this.requeueAfterShutdown(job, execution, attempt);
    return this.recordOutcome(job, execution, attempt);
  }

  /** The target took the run over (202 async): keep it running under a lease its heartbeats extend. */
  private async awaitCallback(
    job: JobRecord,
    execution: ExecutionRecord,
    attemptNo: number,
    started: number,
  ): Promise<RunOutcome> {
    const now = this.deps.clock.now();
    const attempt: Attempt = {
      attempt: attemptNo,
      startedAt: iso(started),
      finishedAt: null,
      status: 'running',
      statusCode: 202,
      error: null,
      durationMs: null,
    };
    const waiting: ExecutionRecord = {
      ...execution,
      rev: execution.rev + 1,
      awaitingCallback: true,
      attempts: [...execution.attempts, attempt],
      ...this.leaseFor(job, now, now),
    };
    if (!(await this.deps.executions.extendLease(waiting, execution.rev)))
      return this.settleLostWrite(job, waiting, attempt);
    if (job.concurrency && job.concurrency.overlap !== 'allow') {
      await this.deps.slots.acquireSlot(
        job.jobId,
        execution.executionId,
        job.concurrency.max,
        waiting.lease!.until,
        now,
      );
    }
    return 'running';
  }

  /** A shutdown cut the call short: hand the run back for the next process, without spending its retry budget. */
  private async requeueAfterShutdown(
    job: JobRecord,
    execution: ExecutionRecord,
    attempt: Attempt,
  ): Promise<RunOutcome> {
    const now = this.deps.clock.now();
    const { lease: _l, ...rest } = execution;
    const requeued: ExecutionRecord = {
      ...rest,
      status: 'queued',
      rev: execution.rev + 1,
      attempts: [...execution.attempts, attempt],
      attemptBase: (execution.attemptBase ?? 0) + 1,
      nextAttemptAt: iso(now),
      ...pendingFields(job, now),
    };
    if (await this.deps.executions.recordOutcome(requeued, execution.rev))
      await this.releaseSlot(job, execution.executionId);
    return 'retrying';
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
          controller.abort('cancelled');
          return;
        }
      }
    };
    void loop();
    return () => stop.abort();
  }

  /** Writes the attempt and the resulting state: final, or queued again for a retry. */
  private async recordOutcome(
    job: JobRecord,
    execution: ExecutionRecord,
    attempt: Attempt,
  ): Promise<RunOutcome> {
    const now = this.deps.clock.now();
    const attempts = [...execution.attempts, attempt];
    const { awaitingCallback: _a, callbackTokenHash: _t, ...base } = execution;
    const withAttempt: ExecutionRecord = { ...base, attempts };
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
    await emit(this.deps, (events) => events.attemptFailed(job, withAttempt));
    // A target the SSRF rules refused at call time stays refused: retrying would only probe again.
    const retryable =
      !isTargetRefusal(attempt.error) &&
      !isPermanentFailure(attempt.error) &&
      isRetryable({ statusCode: attempt.statusCode, timedOut: attempt.status === 'timed_out' }, job.retry);
    const spent = attempts.length - (execution.attemptBase ?? 0);
    if (retryable && spent < job.retry.maxAttempts) {
      const nextAttemptAt = now + backoffDelayMs(job.retry, spent + 1, this.deps.random);
      const onQueue = nextAttemptAt - now <= MAX_QUEUE_DELAY_MS;
      // Backoffs longer than SQS can delay wait on the `pending` index; the reaper sends them in time.
      const attention = onQueue
        ? nextAttemptAt + REAP_SLACK_MS
        : nextAttemptAt - this.deps.settings.lookaheadSeconds * 1000;
      const { lease: _l, ...rest } = withAttempt;
      const waiting: ExecutionRecord = {
        ...rest,
        status: 'queued',
        rev: execution.rev + 1,
        nextAttemptAt: iso(nextAttemptAt),
        ...pendingFields(job, attention),
      };
      if (!(await this.deps.executions.recordOutcome(waiting, execution.rev)))
        return this.settleLostWrite(job, waiting, attempt);
      await this.releaseSlot(job, execution.executionId);
      if (onQueue) {
        const message = runMessage(job, execution.scheduledAt, execution.trigger, attempts.length + 1);
        await this.deps.queue
          .send([outgoing(job, message, nextAttemptAt, now)])
          .catch((error) =>
            this.deps.log.error('retry enqueue failed; the reaper will resend', { error: String(error) }),
          );
      }
      return 'retrying';
    }
    const exhausted = retryable && job.retry.maxAttempts > 1;
    const status: ExecutionStatus = exhausted
      ? 'dead'
      : attempt.status === 'timed_out'
        ? 'timed_out'
        : 'failed';
    return this.writeFinal(job, finalized(withAttempt, status, now, this.retention), execution.rev);
  }

  private async writeFinal(job: JobRecord, item: ExecutionRecord, expectedRev: number): Promise<RunOutcome> {
    if (!(await this.deps.executions.recordOutcome(item, expectedRev)))
      return this.settleLostWrite(job, item, item.attempts.at(-1));
    await this.releaseSlot(job, item.executionId);
    await this.afterFinal(job, item);
    return item.status;
  }

  /**
   * Our write lost to a concurrent one. A cancel request that arrived while the call ran is honoured
   * (the call's real outcome is kept as the attempt); anything else — a takeover after our lease
   * expired — wins over us.
   */
  private async settleLostWrite(
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
    const succeeded = item.status === 'succeeded';
    const base: ExecutionRecord = {
      ...current,
      attempts: attempt ? [...current.attempts, attempt] : current.attempts,
    };
    const final = {
      ...finalized(base, succeeded ? 'succeeded' : 'cancelled', now, this.retention),
      ...(succeeded ? {} : { reason: 'cancelled' }),
    };
    if (!(await this.deps.executions.recordOutcome(final, current.rev))) return 'dropped';
    await this.releaseSlot(job, item.executionId);
    await this.afterFinal(job, final);
    return final.status;
  }

  private async releaseSlot(job: JobRecord, executionId: string): Promise<void> {
    if (job.concurrency && job.concurrency.overlap !== 'allow')
      await this.deps.slots.releaseSlot(job.jobId, executionId);
  }

  private async afterFinal(job: JobRecord, execution: ExecutionRecord): Promise<void> {
    await this.finishJobIfDone(job, execution);
    await emit(this.deps, (events) => events.finished(job, execution));
  }

  /** A job whose last scheduled run just finished ends: one-time jobs `completed` or `failed`. */
  private async finishJobIfDone(job: JobRecord, execution: ExecutionRecord): Promise<void> {
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
        this.deps.clock.now(),
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }

  /** Reads an execution for a callback, authenticated by its token alone (no API key). */
  private async callbackTarget(executionId: string, token: string | undefined) {
    const execution = await this.deps.executions.getExecution(executionId);
    // One answer for "no such execution" and "wrong token": a caller learns nothing from a guess.
    if (!execution || !tokenMatches(token, execution.callbackTokenHash)) {
      throw new Unauthorized('callback token is missing or not valid for this execution');
    }
    const job = await this.deps.jobs.getJob(execution.jobId);
    if (!job) throw new Unauthorized('callback token is missing or not valid for this execution');
    return { execution, job };
  }

  /**
   * POST /v1/executions/{id}/heartbeat: extends the lease by the job's timeout.
   * Returns `cancelled` when the execution was cancelled (the API answers 409 {"cancelled":true}).
   */
  async heartbeat(
    executionId: string,
    token: string | undefined,
  ): Promise<{ cancelled: true } | { leaseUntil: string }> {
    for (let race = 0; race < 3; race++) {
      const { execution, job } = await this.callbackTarget(executionId, token);
      const now = this.deps.clock.now();
      if (execution.status === 'cancelled') return { cancelled: true };
      if (execution.cancelRequestedAt) {
        await this.writeFinal(
          job,
          { ...finalized(execution, 'cancelled', now, this.retention), reason: 'cancelled' },
          execution.rev,
        );
        return { cancelled: true };
      }
      if (execution.status !== 'running' || !execution.awaitingCallback) {
        throw new InvalidState(`execution ${executionId} is ${execution.status}; it takes no heartbeat`);
      }
      const extended: ExecutionRecord = {
        ...execution,
        rev: execution.rev + 1,
        ...this.leaseFor(job, now, now),
      };
      if (await this.deps.executions.extendLease(extended, execution.rev)) {
        if (job.concurrency && job.concurrency.overlap !== 'allow') {
          await this.deps.slots.acquireSlot(
            job.jobId,
            executionId,
            job.concurrency.max,
            extended.lease!.until,
            now,
          );
        }
        return { leaseUntil: iso(extended.lease!.until) };
      }
    }
    throw new InvalidState(`execution ${executionId} is changing; retry the heartbeat`);
  }

  /** POST /v1/executions/{id}/complete: finishes the async attempt; a failure follows the retry policy. */
  async complete(
    executionId: string,
    token: string | undefined,
    result: { status: 'succeeded' | 'failed'; error?: string },
  ): Promise<{ cancelled: true } | { status: RunOutcome }> {
    const { execution, job } = await this.callbackTarget(executionId, token);
    const now = this.deps.clock.now();
    if (execution.status === 'cancelled' || execution.cancelRequestedAt) {
      if (execution.status !== 'cancelled') {
        await this.writeFinal(
          job,
          { ...finalized(execution, 'cancelled', now, this.retention), reason: 'cancelled' },
          execution.rev,
        );
      }
      return { cancelled: true };
    }
    const last = execution.attempts.at(-1);
    if (execution.status !== 'running' || !execution.awaitingCallback || last?.status !== 'running') {
      throw new InvalidState(`execution ${executionId} is ${execution.status}; it cannot be completed`);
    }
    const attempt: Attempt = {
      ...last,
      finishedAt: iso(now),
      status: result.status,
      error: result.status === 'failed' ? (result.error ?? 'the target reported a failure') : null,
      durationMs: now - ms(last.startedAt),
    };
    const outcome = await this.recordOutcome(
      job,
      { ...execution, attempts: execution.attempts.slice(0, -1) },
      attempt,
    );
    if (outcome === 'dropped')
      throw new InvalidState(`execution ${executionId} changed meanwhile; it was not completed`);
    return { status: outcome };
  }

  /** Interrupts the calls still in flight (shutdown); each hands its run back as queued. */
  releaseAll(): number {
    for (const controller of this.inFlight.values()) controller.abort(SHUTDOWN);
    return this.inFlight.size;
  }
}
