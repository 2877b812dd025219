import type { RunMessage } from '../../../schemas/messages.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import type { RecentWrites } from '../../core/ports/recent-writes.js';
import type { ServiceDeps } from '../service-deps.js';
import { whyNotWanted } from './admission.js';

/**
 * Every message may come up to this much before its run is due (DelaySeconds counts whole
 * seconds); a run that comes earlier was handed over ahead on purpose (the local runtime's
 * `claimLeadSeconds`).
 */
export const EARLY_CLAIM_MS = 1000;

/** What the check of an early run at its time found: go, or what stops it. */
export type EarlyVerdict =
  | { go: true }
  | { go: false; why: string }
  | { go: false; why: string; cancelRequested: ExecutionRecord };

/**
 * The check of a run claimed before its time, at its due time (where recent writes are known: the
 * local runtime, whose run queues hand runs over seconds early): whatever happened since the claim to its job
 * (a pause, a cancel or DELETE, a PATCH that started a new plan) or to the run (a cancel) stops it,
 * as it would have stopped a run claimed at its time. The recent writes tell which runs were
 * touched at all; only those read their job and execution again (consistently), so the runs of a
 * burst that nothing touched go with no read.
 */
export class EarlyRunChecks {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'jobs' | 'executions'>,
    private readonly writes: RecentWrites,
  ) {}

  /** `since`: when the read began that the run's claim rests on; a write after it may change the answer. */
  async check(message: RunMessage, since: number): Promise<EarlyVerdict> {
    if (!this.writes.touchedSince(message.jobId, message.executionId, since)) return { go: true };
    const [job, execution] = await Promise.all([
      this.deps.jobs.getJob(message.jobId),
      this.deps.executions.getExecution(message.executionId),
    ]);
    return verdictOf(message, job, execution);
  }
}

/** An early run's fate from its job and execution as read at its time. */
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
