import { InvalidState, Unauthorized } from '../../core/errors.js';
import { completedAttempt } from '../../core/execution/attempts.js';
import { tokenMatches } from '../../core/execution/callback-token.js';
import { leaseExtended, leaseFor, leaseMarginMs } from '../../core/execution/transitions.js';
import { iso } from '../../core/time.js';
import type { ServiceDeps } from '../service-deps.js';
import { OutcomeRecorder, type RunOutcome } from './outcomes.js';
import { ConcurrencyGate } from './slots.js';

const NOT_VALID = 'callback token is missing or not valid for this execution';
/** Heartbeats that lose a write race to another writer are read again this often before giving up. */
const HEARTBEAT_RACES = 3;

/**
 * The callbacks of long-running (async) targets, authenticated by the execution's token alone (no
 * API key): a heartbeat extends the lease, a completion records the attempt. The API builds this,
 * not a whole executor; what a completion leads to is recorded as the executor would.
 */
export class CallbackService {
  private readonly slots: ConcurrencyGate;
  private readonly outcomes: OutcomeRecorder;
  private readonly leaseMarginMs: number;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly owner: string,
  ) {
    this.leaseMarginMs = leaseMarginMs(deps.settings.leaseMarginSeconds);
    this.slots = new ConcurrencyGate(deps, this.leaseMarginMs);
    this.outcomes = new OutcomeRecorder(deps, owner, this.slots);
  }

  /** The execution and its job, for a caller holding its token; one answer for "no such execution" and "wrong token". */
  private async target(executionId: string, token: string | undefined) {
    const execution = await this.deps.executions.getExecution(executionId);
    if (!execution || !tokenMatches(token, execution.callbackTokenHash)) throw new Unauthorized(NOT_VALID);
    const job = await this.deps.jobs.getJob(execution.jobId);
    if (!job) throw new Unauthorized(NOT_VALID);
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
    for (let race = 0; race < HEARTBEAT_RACES; race++) {
      const { execution, job } = await this.target(executionId, token);
      const now = this.deps.clock.now();
      if (execution.status === 'cancelled') return { cancelled: true };
      if (execution.cancelRequestedAt) {
        await this.outcomes.cancel(job, execution);
        return { cancelled: true };
      }
      if (execution.status !== 'running' || !execution.awaitingCallback) {
        throw new InvalidState(`execution ${executionId} is ${execution.status}; it takes no heartbeat`);
      }
      const lease = leaseFor(this.owner, job, now, now, this.leaseMarginMs);
      if (await this.deps.executions.extendLease(leaseExtended(execution, job, lease), execution.rev)) {
        await this.slots.hold(job, executionId, lease.until, now);
        return { leaseUntil: iso(lease.until) };
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
    const { execution, job } = await this.target(executionId, token);
    if (execution.status === 'cancelled' || execution.cancelRequestedAt) {
      if (execution.status !== 'cancelled') await this.outcomes.cancel(job, execution);
      return { cancelled: true };
    }
    const open = execution.attempts.at(-1);
    if (execution.status !== 'running' || !execution.awaitingCallback || open?.status !== 'running') {
      throw new InvalidState(`execution ${executionId} is ${execution.status}; it cannot be completed`);
    }
    const attempt = completedAttempt(open, result, this.deps.clock.now());
    const outcome = await this.outcomes.recordOutcome(
      job,
      { ...execution, attempts: execution.attempts.slice(0, -1) },
      attempt,
    );
    if (outcome === 'dropped')
      throw new InvalidState(`execution ${executionId} changed meanwhile; it was not completed`);
    return { status: outcome };
  }
}
