import type { RunMessage } from '../../../schemas/messages.js';
import type { JobRecord } from '../../../schemas/records.js';
import type { ServiceDeps } from '../service-deps.js';

/** The jobs of a received batch, by id, as one eventually consistent read found them. */
export type BatchJobs = ReadonlyMap<string, JobRecord>;

/** A batch's read of a job's dependents serves that batch's runs for this long at most. */
const DEPENDENTS_KNOWN_MS = 15 * 60 * 1000;
/** Past this many jobs, the dependents reads of finished batches are forgotten. */
const MAX_KNOWN = 10_000;

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
  /** The dependents of the jobs of recent batches, as read with them, and when. */
  private readonly dependents = new Map<string, { ids: readonly string[]; readAt: number }>();
  /** When each batch's read began: nothing written before then is missing from it. */
  private readonly batchReadAt = new WeakMap<BatchJobs, number>();

  constructor(private readonly deps: Pick<ServiceDeps, 'jobs' | 'dependencyEdges' | 'clock' | 'log'>) {}

  /**
   * The batch's jobs in one read, and their dependents in another (both eventually consistent);
   * a failed read leaves each run to read its own job, or its dependents when it finishes.
   */
  async forBatch(messages: RunMessage[]): Promise<BatchJobs> {
    const ids = [...new Set(messages.map((m) => m.jobId))];
    if (ids.length === 0) return new Map();
    const startedAt = this.deps.clock.now();
    const [jobs] = await Promise.all([
      this.deps.jobs.getJobs(ids).catch((error: unknown) => {
        this.deps.log.warn('batch job read failed; each run reads its own job', { error: String(error) });
        return [];
      }),
      this.readDependents(ids),
    ]);
    const batch: BatchJobs = new Map(jobs.map((job) => [job.jobId, job]));
    this.batchReadAt.set(batch, startedAt);
    return batch;
  }

  /** When `batch`'s read began, or undefined for no batch (a run's own read begins now). */
  readStartOf(batch: BatchJobs | undefined): number | undefined {
    return batch ? this.batchReadAt.get(batch) : undefined;
  }

  /**
   * The job's dependents as its batch read them, or undefined when no batch did (lately). A
   * dependent created after that read follows from the upstream's next run.
   */
  dependentsOf(jobId: string): readonly string[] | undefined {
    const known = this.dependents.get(jobId);
    if (!known || this.deps.clock.now() - known.readAt > DEPENDENTS_KNOWN_MS) return undefined;
    return known.ids;
  }

  private async readDependents(ids: string[]): Promise<void> {
    try {
      const found = await this.deps.dependencyEdges.getDependentsOfMany(ids);
      if (this.dependents.size > MAX_KNOWN) this.dependents.clear();
      const readAt = this.deps.clock.now();
      for (const [id, dependents] of found) this.dependents.set(id, { ids: dependents, readAt });
    } catch (error) {
      this.deps.log.warn('batch dependents read failed; each finished run reads its own', {
        error: String(error),
      });
    }
  }

  /** The run's job: the batch's read when it serves, else a consistent read of its own. */
  async forRun(message: RunMessage, batch: BatchJobs | undefined): Promise<JobRecord | null> {
    const read = batch?.get(message.jobId);
    return isFreshEnoughFor(read, message) ? read : this.deps.jobs.getJob(message.jobId);
  }
}
