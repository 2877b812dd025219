import type { JobStore } from '../lambdas/core/ports/job-store.js';
import type { RecentWrites } from '../lambdas/core/ports/recent-writes.js';
import type { JobRecord } from '../schemas/records.js';

/** How long a write is remembered; a question about an older moment is answered "touched". */
const HORIZON_MS = 120_000;

/**
 * The writes of this process that may stop a run handed over early (lambdas/services/executor/early-runs.ts):
 * a change of a job's status or plan (a pause, a resume, a PATCH that starts a new plan, a cancel
 * or DELETE, its end). Each wakes the runs of that job waiting for their time, and is remembered
 * for two minutes. An advance of a job's next run changes neither, and is not one. The local
 * runtime is one process that makes every write (its data directory is locked), so what it saw is
 * all there was: a run whose job nothing changed since it was read goes with that read.
 */
export class LocalRecentWrites implements RecentWrites {
  /** Job id → when its last such write ended, oldest first (a job written again moves to the end). */
  private readonly marks = new Map<string, number>();
  /** Writes up to this moment are forgotten. */
  private forgottenThrough = Number.NEGATIVE_INFINITY;
  /** Each job's status and plan revision as last written here (forgotten with its mark). */
  private readonly plans = new Map<string, string>();
  /** Job id → the runs waiting for their time that a write to it wakes. */
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(private readonly now: () => number) {}

  touchedSince(jobId: string, since: number): boolean {
    if (since <= this.forgottenThrough) return true;
    return (this.marks.get(jobId) ?? Number.NEGATIVE_INFINITY) >= since;
  }

  watch(jobId: string, touched: () => void): () => void {
    const set = this.watchers.get(jobId) ?? new Set();
    set.add(touched);
    this.watchers.set(jobId, set);
    return () => {
      set.delete(touched);
      if (set.size === 0 && this.watchers.get(jobId) === set) this.watchers.delete(jobId);
    };
  }

  /** The job store, telling this of every write that changes a job's status or plan (whether or not its condition held). */
  jobStore(store: JobStore): JobStore {
    const written = (job: JobRecord) => {
      const plan = `${job.status}/${job.planRev ?? 0}`;
      if (this.plans.get(job.jobId) === plan) return;
      this.plans.set(job.jobId, plan);
      this.mark(job.jobId);
    };
    return Object.assign(Object.create(store) as JobStore, {
      createJob: (job, now) => after(store.createJob(job, now), () => written(job)),
      replaceJob: (job, expected, now) => after(store.replaceJob(job, expected, now), () => written(job)),
      finishJob: (jobId, finish, now) =>
        after(store.finishJob(jobId, finish, now), () => {
          this.plans.delete(jobId);
          this.mark(jobId);
        }),
    } satisfies Pick<JobStore, 'createJob' | 'replaceJob' | 'finishJob'>);
  }

  private mark(jobId: string): void {
    const now = this.now();
    this.marks.delete(jobId);
    this.marks.set(jobId, now);
    for (const touched of [...(this.watchers.get(jobId) ?? [])]) touched();
    for (const [old, at] of this.marks) {
      if (at > now - HORIZON_MS) break;
      this.marks.delete(old);
      this.plans.delete(old);
      this.forgottenThrough = Math.max(this.forgottenThrough, at);
    }
  }
}

/** `write`'s result, once `mark` has run — after it ended, failed or not. */
async function after<T>(write: Promise<T>, mark: () => void): Promise<T> {
  try {
    return await write;
  } finally {
    mark();
  }
}
