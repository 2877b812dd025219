import type { RunMessage } from '../../../schemas/messages.js';
import type { JobRecord } from '../../../schemas/records.js';
import { outgoing } from '../../core/execution/run-messages.js';
import { SEND_LEAD_MS } from '../../core/execution/send-window.js';
import { attemptDueAt } from '../../core/execution/transitions.js';
import type { RecentWrites } from '../../core/ports/recent-writes.js';
import type { ServiceDeps } from '../service-deps.js';
import { whyNotWanted } from './admission.js';

/**
 * How a run that waits for its due time leaves its place to others meanwhile (the local event
 * source's invocation limit) and takes one again: a run handed over seconds ahead holds no place
 * while it sleeps.
 */
export interface EarlyWait {
  leave(): void;
  rejoin(): void;
}

type Woken = 'due' | 'touched' | 'closing';

/**
 * How long before its time a waiting run goes on to its admission and claim, then sleeps the rest:
 * as long as AWS's aligned sends give a message (SEND_LEAD_MS), so its call starts on time as in
 * AWS, and no change older than that goes unseen.
 */
export const CLAIM_AHEAD_MS = SEND_LEAD_MS;

/**
 * Runs handed over before their time wait until just before it (CLAIM_AHEAD_MS) for their
 * admission and claim (where recent writes are known: the local runtime, whose run queues hand
 * scheduled runs over seconds early; docs/decisions/early-hand-over.md). Their message is received
 * and their job read ahead: what is left at their time is the admission, the claim, the call and
 * the result. A run waits without holding an invocation place. A change of its job's status or
 * plan (a pause, a cancel or DELETE, a PATCH that starts a new plan) wakes it to read its job again
 * at once, and its admission drops it then if the job no longer wants it; a run whose job nothing
 * changed goes on with the job it read. A stop hands the waiting runs back to the queue.
 */
export class EarlyRuns {
  private readonly waiting = new Set<AbortController>();
  private closing = false;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly writes: RecentWrites,
    private readonly earlyWait?: EarlyWait,
  ) {}

  /**
   * Waits until CLAIM_AHEAD_MS before the run's time; the job as it is then (null: gone), or
   * 'requeued' when a stop handed the run back. `readSince`: when the read of `job` began.
   */
  async untilDue(
    job: JobRecord,
    message: RunMessage,
    readSince: number,
  ): Promise<JobRecord | null | 'requeued'> {
    const dueAt = attemptDueAt(job, message);
    const claimAt = dueAt - CLAIM_AHEAD_MS;
    let current: JobRecord | null = job;
    let since = readSince;
    while (this.deps.clock.now() < claimAt) {
      const woken = await this.waitFor(message.jobId, claimAt);
      if (woken === 'closing') return this.handBack(job, message, dueAt);
      if (this.writes.touchedSince(message.jobId, since)) {
        since = this.deps.clock.now();
        current = await this.deps.jobs.getJob(message.jobId);
        // No longer wanted (paused, cancelled, a new plan): its admission drops it now, not at its time.
        if (!current || whyNotWanted(current, message)) return current;
      }
    }
    return current;
  }

  /** Wakes the waiting runs (shutdown): each hands its run back. Returns how many. */
  handBackWaiting(): number {
    this.closing = true;
    for (const wake of this.waiting) wake.abort('closing');
    return this.waiting.size;
  }

  /** Sleeps until `dueAt` without holding a place, or until a write to the job or a stop wakes it. */
  private async waitFor(jobId: string, dueAt: number): Promise<Woken> {
    if (this.closing) return 'closing';
    const wake = new AbortController();
    this.waiting.add(wake);
    const unwatch = this.writes.watch(jobId, () => wake.abort('touched'));
    this.earlyWait?.leave();
    try {
      await this.deps.clock.sleep(dueAt - this.deps.clock.now(), wake.signal);
    } finally {
      this.earlyWait?.rejoin();
      unwatch();
      this.waiting.delete(wake);
    }
    return wake.signal.aborted ? (wake.signal.reason as Woken) : 'due';
  }

  /** A stop came while the run waited: its message goes back on the queue for the same instant (the local queue journal keeps it). */
  private async handBack(job: JobRecord, message: RunMessage, dueAt: number): Promise<'requeued'> {
    await this.deps.queue.send([outgoing(job, message, dueAt, this.deps.clock.now())]);
    return 'requeued';
  }
}
