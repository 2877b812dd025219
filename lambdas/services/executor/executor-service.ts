import type { Attempt } from '../../../schemas/execution.js';
import type { RunMessage } from '../../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { attemptOf, isAsyncAcceptance, openAttempt } from '../../core/execution/attempts.js';
import { isFirstScheduledAttempt } from '../../core/execution/run-messages.js';
import {
  attemptDueAt,
  awaitingCallback,
  lateBy,
  leaseMarginMs,
  requeuedAfterShutdown,
} from '../../core/execution/transitions.js';
import type { TargetOutcome } from '../../core/ports/aws-target-caller.js';
import { iso } from '../../core/time.js';
import { emit, type ServiceDeps } from '../service-deps.js';
import { RunAdmission } from './admission.js';
import { RunClaims } from './claims.js';
import { EarlyRuns, type EarlyWait } from './early-runs.js';
import { type BatchJobs, JobReads } from './job-reads.js';
import { OutcomeRecorder, type RunOutcome } from './outcomes.js';
import { ConcurrencyGate } from './slots.js';
import { callTarget } from './target-request.js';

export type { RunOutcome } from './outcomes.js';

/** How often a running call checks whether its execution was cancelled. */
export const CANCEL_POLL_MS = 1000;
const SHUTDOWN = 'scheduler shutting down';

export type { EarlyWait } from './early-runs.js';

/**
 * Runs one delivery of a run message: admission (the job's state and plan, misfire, the tenant's
 * cap, the concurrency slot), the claim, the sub-second wait, the call to the target, the record
 * of its outcome. Each step is a piece of its own in this folder; this is their order.
 */
export class ExecutorService {
  /** Calls in flight in this process, so a shutdown can interrupt and release them. */
  private readonly inFlight = new Map<string, AbortController>();
  private readonly slots: ConcurrencyGate;
  private readonly outcomes: OutcomeRecorder;
  private readonly admission: RunAdmission;
  private readonly claims: RunClaims;
  private readonly jobReads: JobReads;
  /** Present where runs are handed over seconds early (the local runtime: deps.recentWrites). */
  private readonly early: EarlyRuns | undefined;

  constructor(
    private readonly deps: ServiceDeps,
    owner: string,
    earlyWait?: EarlyWait,
  ) {
    const margin = leaseMarginMs(deps.settings.leaseMarginSeconds);
    this.slots = new ConcurrencyGate(deps, margin);
    this.jobReads = new JobReads(deps);
    this.outcomes = new OutcomeRecorder(deps, owner, this.slots, this.jobReads);
    this.admission = new RunAdmission(deps, this.slots, this.outcomes);
    this.claims = new RunClaims(deps, owner, this.outcomes, margin);
    this.early = deps.recentWrites ? new EarlyRuns(deps, deps.recentWrites, earlyWait) : undefined;
  }

  /** The jobs of a received batch's runs in one read, for `handle` to use (eventually consistent). */
  readJobs(messages: RunMessage[]): Promise<BatchJobs> {
    return this.jobReads.forBatch(messages);
  }

  /** One delivery; `batch` is its batch's job read (readJobs), without which it reads its job alone. */
  async handle(message: RunMessage, batch?: BatchJobs): Promise<RunOutcome> {
    // What this run knows of its job is at least this recent (a run handed over early looks past it).
    const readSince = this.jobReads.readStartOf(batch) ?? this.deps.clock.now();
    let job = await this.jobReads.forRun(message, batch);
    if (job && this.early && isFirstScheduledAttempt(message)) {
      const waited = await this.early.untilDue(job, message, readSince);
      if (waited === 'requeued') return waited;
      job = waited;
    }
    const admission = await this.admission.admit(job, message);
    if (!admission.admitted) return admission.outcome;
    const token = this.deps.secureToken();
    const claimed = await this.claims.claim(message, admission.job, this.deps.clock.now(), token);
    if (!claimed) {
      if (admission.slot === 'acquired')
        await this.deps.slots.releaseSlot(admission.job.jobId, message.executionId);
      return 'dropped';
    }
    return this.run(admission.job, claimed, token);
  }

  /** Waits the residual to the attempt's due time, calls the target and records what came of it. */
  private async run(job: JobRecord, claimed: ExecutionRecord, token: string): Promise<RunOutcome> {
    const { clock } = this.deps;
    const dueAt = attemptDueAt(job, claimed);
    await clock.sleep(Math.max(0, dueAt - clock.now()));
    const attemptNo = claimed.attempts.length + 1;
    const started = clock.now();
    const controller = new AbortController();
    this.inFlight.set(claimed.executionId, controller);
    if (attemptNo === 1) {
      await emit(this.deps, (events) => events.started(job, claimed, lateBy(started, dueAt)));
    }
    const outcome = await this.call(job, claimed, attemptNo, token, started, controller);
    const execution =
      attemptNo === 1 ? { ...claimed, startedAt: iso(started), lateByMs: lateBy(started, dueAt) } : claimed;
    if (isAsyncAcceptance(outcome)) return this.awaitCallback(job, execution, attemptNo, started);
    const interrupted = controller.signal.aborted && controller.signal.reason === SHUTDOWN;
    const attempt = attemptOf(attemptNo, outcome, started, clock.now(), interrupted ? SHUTDOWN : undefined);
    if (interrupted) return this.requeueAfterShutdown(job, execution, attempt);
    return this.outcomes.recordOutcome(job, execution, attempt);
  }

  /** The call itself (registered in flight), abortable by a cancel request (polled) and by a shutdown (releaseAll). */
  private async call(
    job: JobRecord,
    execution: ExecutionRecord,
    attempt: number,
    token: string,
    startedAt: number,
    controller: AbortController,
  ): Promise<TargetOutcome> {
    const stopWatching = this.watchForCancel(execution.executionId, controller);
    try {
      return await callTarget(this.deps, {
        job,
        execution,
        attempt,
        token,
        startedAt,
        signal: controller.signal,
      });
    } finally {
      stopWatching();
      this.inFlight.delete(execution.executionId);
    }
  }

  /** The target took the run over (202 async): keep it running under a lease its heartbeats extend. */
  private async awaitCallback(
    job: JobRecord,
    execution: ExecutionRecord,
    attemptNo: number,
    started: number,
  ): Promise<RunOutcome> {
    const now = this.deps.clock.now();
    const open = openAttempt(attemptNo, started);
    const waiting = awaitingCallback(execution, job, open, this.claims.leaseFor(job, now, now));
    if (!(await this.deps.executions.extendLease(waiting, execution.rev))) {
      return this.outcomes.settleLostWrite(job, waiting, open);
    }
    await this.slots.hold(job, execution.executionId, waiting.lease!.until, now);
    return 'running';
  }

  /** A shutdown cut the call short: hand the run back for the next process, without spending its retry budget. */
  private async requeueAfterShutdown(
    job: JobRecord,
    execution: ExecutionRecord,
    attempt: Attempt,
  ): Promise<RunOutcome> {
    const requeued = requeuedAfterShutdown(execution, job, attempt, this.deps.clock.now());
    if (await this.deps.executions.recordOutcome(requeued, execution.rev)) {
      await this.slots.release(job, execution.executionId);
    }
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

  /** Wakes the runs waiting for their time (shutdown): each hands its run back unstarted. Returns how many. */
  handBackWaiting(): number {
    return this.early?.handBackWaiting() ?? 0;
  }

  /** Interrupts the calls still in flight (shutdown); each hands its run back as queued. */
  releaseAll(): number {
    for (const controller of this.inFlight.values()) controller.abort(SHUTDOWN);
    return this.inFlight.size;
  }
}
