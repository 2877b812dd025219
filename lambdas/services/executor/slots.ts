import type { RunMessage } from '../../../schemas/messages.js';
import type { JobRecord } from '../../../schemas/records.js';
import { attemptDueAt } from '../../core/execution/transitions.js';
import type { ServiceDeps } from '../service-deps.js';

/** A run blocked by its job's concurrency limit under `overlap: queue` comes back after this long. */
export const OVERLAP_REQUEUE_SECONDS = 2;

/** What taking a slot for a delivery came to. `none`: the job has no limit; `held`: this run had one already. */
export type SlotTaken = 'none' | 'acquired' | 'held' | 'skip' | 'requeue';

/** Whether the job's runs hold concurrency slots: a limit whose overlap is not `allow`. */
export function holdsSlots(job: JobRecord): boolean {
  return job.concurrency !== undefined && job.concurrency.overlap !== 'allow';
}

/**
 * Per-job concurrency: a slot per running execution, released on every exit (and reclaimed when
 * its holder's lease passes, so a crashed executor frees it too).
 */
export class ConcurrencyGate {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'slots' | 'queue'>,
    private readonly leaseMarginMs: number,
  ) {}

  /**
   * A slot for a delivery about to be claimed. Full: a first attempt under `overlap: skip` is
   * skipped; otherwise the run comes back shortly (late, but accepted as such).
   */
  async take(job: JobRecord, message: RunMessage, now: number): Promise<SlotTaken> {
    const limit = job.concurrency;
    if (!limit || !holdsSlots(job)) return 'none';
    const due = Math.max(now, attemptDueAt(job, message));
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

  /** Keeps the run's slot until its lease ends (an async target holds it across heartbeats). */
  async hold(job: JobRecord, executionId: string, until: number, now: number): Promise<void> {
    if (!job.concurrency || !holdsSlots(job)) return;
    await this.deps.slots.acquireSlot(job.jobId, executionId, job.concurrency.max, until, now);
  }

  async release(job: JobRecord, executionId: string): Promise<void> {
    if (holdsSlots(job)) await this.deps.slots.releaseSlot(job.jobId, executionId);
  }
}
