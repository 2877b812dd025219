import type { RunMessage } from '../../../schemas/messages.js';
import type { JobRecord } from '../../../schemas/records.js';
import type { ServiceDeps } from '../service-deps.js';

/** The jobs of a received batch, by id, as one eventually consistent read found them. */
export type BatchJobs = ReadonlyMap<string, JobRecord>;

/**
 * Whether a job read eventually consistent can stand for the job this run needs: it exists, and a
 * first scheduled attempt was not planned under a newer plan than the read shows (the read is older
 * than the PATCH, pause or resume that planned the run).
 */
export function isFreshEnoughFor(job: JobRecord | undefined, message: RunMessage): job is JobRecord {
  if (!job) return false;
  if (message.trigger !== 'schedule' || message.attempt > 1) return true;
  return (message.plan ?? 0) <= (job.planRev ?? 0);
}

/**
 * The job reads of the executor: one BatchGetItem for every run of a received batch, and a
 * consistent GetItem only for a run whose job that read missed or saw stale. A stale read that
 * still looks current (a PATCH of the target less than a second old) is the accepted cost of
 * eventual consistency; the superseded-plan check keeps PATCHed schedules, pauses and cancels right.
 */
export class JobReads {
  constructor(private readonly deps: Pick<ServiceDeps, 'jobs' | 'log'>) {}

  /** The batch's jobs in one read; a failed read leaves each run to read its own job. */
  async forBatch(messages: RunMessage[]): Promise<BatchJobs> {
    const ids = [...new Set(messages.map((m) => m.jobId))];
    if (ids.length === 0) return new Map();
    try {
      return new Map((await this.deps.jobs.getJobs(ids)).map((job) => [job.jobId, job]));
    } catch (error) {
      this.deps.log.warn('batch job read failed; each run reads its own job', { error: String(error) });
      return new Map();
    }
  }

  /** The run's job: the batch's read when it serves, else a consistent read of its own. */
  async forRun(message: RunMessage, batch: BatchJobs | undefined): Promise<JobRecord | null> {
    const read = batch?.get(message.jobId);
    return isFreshEnoughFor(read, message) ? read : this.deps.jobs.getJob(message.jobId);
  }
}
