import type { ExecutionStore } from '../lambdas/core/ports/execution-store.js';
import type { JobStore } from '../lambdas/core/ports/job-store.js';
import type { RecentWrites } from '../lambdas/core/ports/recent-writes.js';
import type { JobRecord } from '../schemas/records.js';

/** How long a write is remembered; a question about an older moment is answered "touched". */
const HORIZON_MS = 120_000;

/**
 * The writes of this process that can stop a run claimed early (lambdas/services/executor/early-runs.ts):
 * a change of a job's status or plan (a pause, a resume, a PATCH that starts a new plan, a cancel
 * or DELETE, its end) and a run's cancel request. Each wakes the runs of that job, or that run,
 * waiting for their time, and is remembered for two minutes. The local runtime is one process that
 * makes every write (its data directory is locked), so what it saw is all there was: a run nothing
 * touched since its job was read goes at its time unread.
 */
export class LocalRecentWrites implements RecentWrites {
  /** Key → when its last write ended, oldest first (a key written again moves to the end). */
  private readonly marks = new Map<string, number>();
  /** Writes up to this moment are forgotten. */
  private forgottenThrough = Number.NEGATIVE_INFINITY;
  /** Each job's status and plan revision as last written here (forgotten with its mark). */
  private readonly plans = new Map<string, string>();
  /** Key → the runs waiting for their time that a write to it wakes. */
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(private readonly now: () => number) {}

  touchedSince(jobId: string, executionId: string, since: number): boolean {
    if (since <= this.forgottenThrough) return true;
    return (
      (this.marks.get(`job:${jobId}`) ?? -1) >= since || (this.marks.get(`run:${executionId}`) ?? -1) >= since
    );
  }

  watch(jobId: string, executionId: string, touched: () => void): () => void {
    const keys = [`job:${jobId}`, `run:${executionId}`];
    for (const key of keys) {
      const set = this.watchers.get(key) ?? new Set();
      set.add(touched);
      this.watchers.set(key, set);
    }
    return () => {
      for (const key of keys) {
        const set = this.watchers.get(key);
        set?.delete(touched);
        if (set?.size === 0) this.watchers.delete(key);
      }
    };
  }

  /**
   * The job store, telling this of every write that may change whether a job's runs go: its status
   * or its plan (whether or not the write's condition held). An advance of its next run changes
   * neither and stops nothing: the runs it sent would otherwise all be read again at their time.
   */
  jobStore(store: JobStore): JobStore {
    const mark = (jobId: string) => this.mark(`job:${jobId}`);
    const written = (job: JobRecord) => {
      const plan = `${job.status}/${job.planRev ?? 0}`;
      if (this.plans.get(job.jobId) === plan) return;
      this.plans.set(job.jobId, plan);
      mark(job.jobId);
    };
    return Object.assign(Object.create(store) as JobStore, {
      createJob: (job, now) => after(store.createJob(job, now), () => written(job)),
      replaceJob: (job, expected, now) => after(store.replaceJob(job, expected, now), () => written(job)),
      finishJob: (jobId, finish, now) =>
        after(store.finishJob(jobId, finish, now), () => {
          this.plans.delete(jobId);
          mark(jobId);
        }),
    } satisfies Pick<JobStore, 'createJob' | 'replaceJob' | 'finishJob'>);
  }

  /** The execution store, telling this of every cancel request (the only write of another that stops a claimed run). */
  executionStore(store: ExecutionStore): ExecutionStore {
    return Object.assign(Object.create(store) as ExecutionStore, {
      requestCancel: (execution, rev) =>
        after(store.requestCancel(execution, rev), () => this.mark(`run:${execution.executionId}`)),
    } satisfies Pick<ExecutionStore, 'requestCancel'>);
  }

  private mark(key: string): void {
    const now = this.now();
    this.marks.delete(key);
    this.marks.set(key, now);
    for (const touched of [...(this.watchers.get(key) ?? [])]) touched();
    for (const [old, at] of this.marks) {
      if (at > now - HORIZON_MS) break;
      this.marks.delete(old);
      if (old.startsWith('job:')) this.plans.delete(old.slice('job:'.length));
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
