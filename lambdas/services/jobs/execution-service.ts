import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { ExecutionNotFound, InvalidState } from '../../core/errors.js';
import { cancelledExecution, newExecution, REAP_SLACK_MS } from '../../core/execution/records.js';
import { outgoing, runMessage } from '../../core/execution/run-messages.js';
import { cancelRequested, replayed } from '../../core/execution/transitions.js';
import { scheduledRunOf } from '../../core/ids.js';
import { isFinal } from '../../core/states.js';
import { ms } from '../../core/time.js';
import { holdsSlots } from '../executor/slots.js';
import { emit, type ServiceDeps } from '../service-deps.js';
import { QueryService, tenantJob } from './query-service.js';

/** Cancels in flight looked up per job at most this many at once (one page of the pending index). */
const CANCEL_PAGE = 100;

/** A cancel that loses a write race tries again on a fresh read this many times, then answers 409. */
const CANCEL_TRIES = 3;

/** Another write came first every time: a conflict the client may retry (409), never a 5xx. */
function changedConcurrently(executionId: string): InvalidState {
  return new InvalidState(`execution ${executionId} changed concurrently; try again`);
}

/** Commands on executions: cancel one, cancel a job's in flight, replay a dead letter. */
export class ExecutionService {
  private readonly queries: QueryService;

  constructor(private readonly deps: ServiceDeps) {
    this.queries = new QueryService(deps);
  }

  /** POST /v1/executions/{id}/cancel: a queued run is cancelled at once, a running call is aborted by its executor. */
  async cancelExecution(tenant: string, executionId: string): Promise<ExecutionRecord> {
    let execution = await this.deps.executions.getExecution(executionId);
    if (execution && execution.tenant !== tenant) throw new ExecutionNotFound(executionId);
    if (!execution) {
      const cancelled = await this.cancelBeforeClaim(tenant, executionId);
      if (cancelled) return cancelled;
      execution = await this.queries.getExecution(tenant, executionId);
    }
    // A write that lost a race (the executor claimed or finished the run meanwhile) tries again on
    // what is stored now: the cancel applies to the new state, or the run is final (409).
    for (let tries = 1; ; tries++) {
      if (isFinal(execution.status)) {
        throw new InvalidState(`execution ${executionId} is already ${execution.status}`);
      }
      const cancelled = await this.requestCancel(execution);
      if (cancelled) return cancelled;
      if (tries >= CANCEL_TRIES) throw changedConcurrently(executionId);
      execution = await this.queries.getExecution(tenant, executionId);
    }
  }

  /**
   * A scheduled run on the queue has no record until it is claimed: it is recorded cancelled, so the
   * claim refuses it. Null when a record appeared meanwhile (the caller cancels that one).
   */
  private async cancelBeforeClaim(tenant: string, executionId: string): Promise<ExecutionRecord | null> {
    const run = scheduledRunOf(executionId);
    if (!run) throw new ExecutionNotFound(executionId);
    const job = await tenantJob(this.deps.jobs, tenant, run.jobId).catch(() => {
      throw new ExecutionNotFound(executionId);
    });
    if (!job.enqueuedThrough || ms(run.scheduledAt) > ms(job.enqueuedThrough))
      throw new ExecutionNotFound(executionId);
    const cancelled = newExecution(
      job,
      run.scheduledAt,
      'schedule',
      'cancelled',
      this.deps.clock.now(),
      this.deps.settings.hotRetentionSeconds,
      'cancelled before it ran',
    );
    if (!(await this.deps.executions.createExecution(cancelled))) return null;
    await emit(this.deps, (events) => events.finished(job, cancelled));
    return cancelled;
  }

  /**
   * Asks every run of the job still in flight to stop (DELETE of the job): those on the pending
   * index (queued records, async targets, claimed triggers and retries) and the claimed scheduled
   * runs, which are on no index: the job's newest executions (its partition, newest first) that are
   * running. Failures are left to the runs' own ends.
   */
  async cancelInFlight(job: JobRecord): Promise<void> {
    const [pending, running] = await Promise.all([
      this.deps.executions.queryPending(job.shard, '9999', CANCEL_PAGE, { jobId: job.jobId }),
      this.deps.executions.listByJob(job.jobId, { status: 'running' }, CANCEL_PAGE),
    ]);
    const inFlight = new Map([...pending.items, ...running.items].map((e) => [e.executionId, e]));
    await Promise.all(
      [...inFlight.values()].map((execution) => this.requestCancel(execution).catch(() => undefined)),
    );
  }

  /**
   * A queued run, or one an async target holds, is cancelled at once (no executor is on it);
   * a call in flight gets a cancel request that its executor sees within a second and aborts.
   */
  private async requestCancel(execution: ExecutionRecord): Promise<ExecutionRecord | null> {
    const now = this.deps.clock.now();
    const immediate = execution.status === 'queued' || execution.awaitingCallback === true;
    const next = immediate
      ? cancelledExecution(execution, now, this.deps.settings.hotRetentionSeconds)
      : cancelRequested(execution, now);
    if (!(await this.deps.executions.requestCancel(next, execution.rev))) return null;
    if (immediate) {
      const job = await this.deps.jobs.getJob(execution.jobId);
      if (job && holdsSlots(job)) await this.deps.slots.releaseSlot(job.jobId, execution.executionId);
      // No executor will finish this one: the `cancelled` notification is ours to raise.
      if (job) await emit(this.deps, (events) => events.finished(job, next));
    }
    return next;
  }

  /** POST /v1/dead-letters/{id}/replay: runs a dead execution again with a fresh retry budget. */
  async replayDeadLetter(tenant: string, executionId: string): Promise<ExecutionRecord> {
    const execution = await this.queries.getExecution(tenant, executionId);
    if (execution.status !== 'dead') {
      throw new InvalidState(
        `execution ${executionId} is ${execution.status}; only dead executions can be replayed`,
      );
    }
    const job = await tenantJob(this.deps.jobs, tenant, execution.jobId);
    if (job.status === 'cancelled')
      throw new InvalidState(`job ${job.jobId} is cancelled; its runs cannot be replayed`);
    const now = this.deps.clock.now();
    const again = replayed(execution, job, now, now + REAP_SLACK_MS);
    if (!(await this.deps.executions.replay(again, execution.rev))) {
      // Another replay (or a cancel of the replayed run) came first: this one has nothing to do.
      const current = await this.deps.executions.getExecution(executionId);
      if (current && current.status !== 'dead') {
        throw new InvalidState(
          `execution ${executionId} is ${current.status}; only dead executions can be replayed`,
        );
      }
      throw changedConcurrently(executionId);
    }
    const message = runMessage(job, execution.scheduledAt, 'replay', execution.attempts.length + 1);
    await this.deps.queue.send([outgoing(job, message, now, now)]).catch((error) => {
      this.deps.log.error('replay enqueue failed; the reaper will resend', {
        executionId,
        error: String(error),
      });
    });
    return again;
  }
}
