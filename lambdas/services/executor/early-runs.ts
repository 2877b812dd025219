import type { RunMessage } from '../../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { outgoing } from '../../core/execution/run-messages.js';
import type { RecentWrites } from '../../core/ports/recent-writes.js';
import type { ServiceDeps } from '../service-deps.js';
import { whyNotWanted } from './admission.js';
import type { OutcomeRecorder, RunOutcome } from './outcomes.js';
import type { ConcurrencyGate } from './slots.js';

/**
 * Every message may come up to this much before its run is due (DelaySeconds counts whole
 * seconds); a run that comes earlier was handed over ahead on purpose (the local runtime's
 * `claimLeadSeconds`).
 */
export const EARLY_CLAIM_MS = 1000;

/**
 * How a run that waits for its due time leaves its place to others meanwhile (the local event
 * source's invocation limit) and takes one again: a run handed over seconds ahead holds no place
 * while it sleeps.
 */
export interface EarlyWait {
  leave(): void;
  rejoin(): void;
}

/** What a check of a run waiting for its time found: go, or what stops it. */
export type EarlyVerdict =
  | { go: true }
  | { go: false; why: string }
  | { go: false; why: string; cancelRequested: ExecutionRecord };

/** An early run's fate from its job and execution as read again. */
export function verdictOf(
  message: RunMessage,
  job: JobRecord | null,
  execution: ExecutionRecord | null,
): EarlyVerdict {
  if (execution?.cancelRequestedAt) {
    return { go: false, why: 'cancelled before it was due', cancelRequested: execution };
  }
  if (!job) return { go: false, why: 'job not found' };
  const why = whyNotWanted(job, message);
  return why ? { go: false, why } : { go: true };
}

type Woken = 'due' | 'touched' | 'closing';

/**
 * Runs claimed before their time, until it (where recent writes are known: the local runtime,
 * whose run queues hand scheduled runs over seconds early; docs/decisions/early-claims.md). A run
 * waits without holding an invocation place. A change of its job's status or plan, or a cancel of
 * the run, wakes it at once to read both again: a pause, a cancel or DELETE, a PATCH that starts a
 * new plan stops it there and then, as it would have stopped a run claimed at its time (a cancel
 * settles it `cancelled`; the others take the claim back, so it leaves no record). A run nothing
 * touched goes at its time with no read. A stop hands the waiting runs back to the queue.
 */
export class EarlyRuns {
  private readonly waiting = new Set<AbortController>();
  private closing = false;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly writes: RecentWrites,
    private readonly outcomes: OutcomeRecorder,
    private readonly slots: ConcurrencyGate,
    private readonly earlyWait?: EarlyWait,
  ) {}

  /**
   * Waits for `dueAt`; null when the run is to go, else what became of it. `readSince`: when the
   * read began that its claim rests on (a write after it may change the answer).
   */
  async untilDue(
    job: JobRecord,
    claimed: ExecutionRecord,
    message: RunMessage,
    dueAt: number,
    readSince: number,
  ): Promise<RunOutcome | null> {
    let since = readSince;
    for (;;) {
      const woken = await this.waitFor(message, dueAt);
      if (woken === 'closing') return this.handBack(job, claimed, message, dueAt);
      const readAt = this.deps.clock.now();
      const verdict = await this.check(message, since);
      if (!verdict.go) return this.stop(job, claimed, verdict);
      if (woken === 'due') return null;
      since = readAt;
    }
  }

  /** Leaves the event source's place while `wait` lasts (EarlyWait), and takes one again after. */
  async away<T>(wait: () => Promise<T>): Promise<T> {
    if (!this.earlyWait) return wait();
    this.earlyWait.leave();
    try {
      return await wait();
    } finally {
      this.earlyWait.rejoin();
    }
  }

  /** Wakes the waiting runs (shutdown): each hands its run back unstarted. Returns how many. */
  handBackWaiting(): number {
    this.closing = true;
    for (const wake of this.waiting) wake.abort('closing');
    return this.waiting.size;
  }

  private async waitFor(message: RunMessage, dueAt: number): Promise<Woken> {
    if (this.closing) return 'closing';
    const wake = new AbortController();
    this.waiting.add(wake);
    const unwatch = this.writes.watch(message.jobId, message.executionId, () => wake.abort('touched'));
    try {
      await this.away(() => this.deps.clock.sleep(dueAt - this.deps.clock.now(), wake.signal));
    } finally {
      unwatch();
      this.waiting.delete(wake);
    }
    return wake.signal.aborted ? (wake.signal.reason as Woken) : 'due';
  }

  /** Whether the run may still go: with no read unless its job or itself was touched since `since`. */
  private async check(message: RunMessage, since: number): Promise<EarlyVerdict> {
    if (!this.writes.touchedSince(message.jobId, message.executionId, since)) return { go: true };
    const [job, execution] = await Promise.all([
      this.deps.jobs.getJob(message.jobId),
      this.deps.executions.getExecution(message.executionId),
    ]);
    return verdictOf(message, job, execution);
  }

  /**
   * A run that must not go after all. Its claim is taken back if it still stands as written; when
   * another write came first, the run goes as claimed and its result write settles it (null).
   */
  private async stop(
    job: JobRecord,
    claimed: ExecutionRecord,
    verdict: Exclude<EarlyVerdict, { go: true }>,
  ): Promise<RunOutcome | null> {
    if ('cancelRequested' in verdict) return this.outcomes.cancel(job, verdict.cancelRequested);
    if (claimed.trigger !== 'schedule' || claimed.rev !== 1) return null;
    if (!(await this.deps.executions.releaseClaim(claimed, claimed.rev))) return null;
    await this.slots.release(job, claimed.executionId);
    this.deps.log.info('run dropped', { executionId: claimed.executionId, why: verdict.why });
    return 'dropped';
  }

  /**
   * A stop came while the run waited: its message is sent again for the same instant and its claim
   * taken back, so the next start runs it (the local queue journal keeps the message).
   */
  private async handBack(
    job: JobRecord,
    claimed: ExecutionRecord,
    message: RunMessage,
    dueAt: number,
  ): Promise<RunOutcome> {
    await this.deps.queue.send([outgoing(job, message, dueAt, this.deps.clock.now())]);
    if (!(await this.deps.executions.releaseClaim(claimed, claimed.rev))) {
      this.deps.log.warn('a run handed back at shutdown kept its claim; it comes back when the lease ends', {
        executionId: claimed.executionId,
      });
    }
    await this.slots.release(job, claimed.executionId);
    return 'requeued';
  }
}
