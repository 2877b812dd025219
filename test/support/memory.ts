import { hourOf, hoursBetween } from '../../lambdas/core/buckets.js';
import { ConditionFailed, InvalidCursor } from '../../lambdas/core/errors.js';
import { withNextRun } from '../../lambdas/core/job-schedule.js';
import type { Clock } from '../../lambdas/core/ports/clock.js';
import type { ConcurrencySlots } from '../../lambdas/core/ports/concurrency-slots.js';
import type { DependencyEdges } from '../../lambdas/core/ports/dependency-edges.js';
import type { DependencyRound, DependencyRounds } from '../../lambdas/core/ports/dependency-rounds.js';
import {
  DUE_JOB_FIELDS,
  type DueAdvance,
  type DueIndex,
  type DueJob,
  type DuePage,
} from '../../lambdas/core/ports/due-index.js';
import type { ExecutionFilter, ExecutionStore } from '../../lambdas/core/ports/execution-store.js';
import type { JobFinish, JobStore } from '../../lambdas/core/ports/job-store.js';
import type { Page } from '../../lambdas/core/ports/page.js';
import type { OutgoingRun, RunQueue, VisibilityChange } from '../../lambdas/core/ports/run-queue.js';
import type { Watermarks } from '../../lambdas/core/ports/watermarks.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';

const clone = <T>(value: T): T => structuredClone(value);

/** A job as the due index shows it: DUE_JOB_FIELDS and its `nextRunAt`, nothing else (as the DynamoDB index projects it). */
function dueEntryOf(job: JobRecord): DueJob {
  const entry: Record<string, unknown> = { jobId: job.jobId, nextRunAt: job.nextRunAt };
  for (const field of DUE_JOB_FIELDS) if (job[field] !== undefined) entry[field] = job[field];
  return entry as DueJob;
}

/** Pages a sorted list with an opaque cursor naming the last key returned. */
function page<T>(
  sorted: T[],
  keyOf: (item: T) => string,
  limit: number,
  cursor: string | undefined,
  scope: string,
): Page<T> {
  let start = 0;
  if (cursor) {
    let decoded: { scope?: unknown; after?: unknown } | null;
    try {
      decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursor();
    }
    if (decoded?.scope !== scope || typeof decoded.after !== 'string') throw new InvalidCursor();
    const after = decoded.after;
    start = sorted.findIndex((item) => keyOf(item) === after) + 1;
  }
  const items = sorted.slice(start, start + limit);
  const last = items.at(-1);
  const more = start + limit < sorted.length;
  return {
    items: items.map(clone),
    nextCursor:
      more && last ? Buffer.from(JSON.stringify({ scope, after: keyOf(last) })).toString('base64url') : null,
  };
}

/**
 * The Jobs table in memory: every port one DynamoDB table backs (definitions, the due index,
 * watermarks, concurrency slots, dependency edges and rounds), with the same conditions as the
 * DynamoDB adapters (it passes the same conformance suite).
 */
export class MemoryJobStore
  implements JobStore, DueIndex, Watermarks, ConcurrencySlots, DependencyEdges, DependencyRounds
{
  readonly items = new Map<string, JobRecord>();
  /** The hour each job is filed under on the due index (as the DynamoDB adapter's bucket). */
  private readonly dueHours = new Map<string, string>();
  private readonly watermarks = new Map<number, string>();
  /** Inject failures: called before every write. */
  beforeWrite: (operation: string, jobId: string) => void = () => {};

  /** Where the due index files the job: the UTC hour a watcher finds it under, or null when it is off the index. */
  dueHourOf(jobId: string): string | null {
    return this.dueHours.get(jobId) ?? null;
  }

  private store(job: JobRecord, now: number): void {
    this.items.set(job.jobId, clone(job));
    if (job.nextRunAt === undefined) this.dueHours.delete(job.jobId);
    else this.dueHours.set(job.jobId, hourOf(Math.max(Date.parse(job.nextRunAt), now)));
  }

  async createJob(job: JobRecord, now: number): Promise<void> {
    this.beforeWrite('createJob', job.jobId);
    if (this.items.has(job.jobId)) throw new ConditionFailed('exists');
    this.store(job, now);
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const item = this.items.get(jobId);
    return item ? clone(item) : null;
  }

  /** As read eventually consistent: `staleReads` answers instead of the stored job (missing when null). */
  readonly staleReads = new Map<string, JobRecord | null>();

  async getJobs(jobIds: string[]): Promise<JobRecord[]> {
    return [...new Set(jobIds)].flatMap((id) => {
      const item = this.staleReads.has(id) ? this.staleReads.get(id) : this.items.get(id);
      return item ? [clone(item)] : [];
    });
  }

  async replaceJob(
    job: JobRecord,
    expected: { version: number; nextRunAt: string | undefined },
    now: number,
  ): Promise<void> {
    this.beforeWrite('replaceJob', job.jobId);
    const current = this.items.get(job.jobId);
    if (!current || current.version !== expected.version || current.nextRunAt !== expected.nextRunAt) {
      throw new ConditionFailed('changed');
    }
    this.store(job, now);
  }

  async finishJob(jobId: string, finish: JobFinish, now: number): Promise<boolean> {
    this.beforeWrite('finishJob', jobId);
    const current = this.items.get(jobId);
    if (
      current?.status !== 'active' ||
      current.nextRunAt !== undefined ||
      (current.planRev ?? 0) !== finish.planRev ||
      (current.enqueuedThrough !== undefined && current.enqueuedThrough !== finish.lastRunAt)
    ) {
      return false;
    }
    const updatedAt = new Date(now).toISOString();
    this.store({ ...current, status: finish.status, version: current.version + 1, updatedAt }, now);
    return true;
  }

  async advanceJob(job: Pick<JobRecord, 'jobId' | 'shard'>, advance: DueAdvance): Promise<void> {
    this.beforeWrite('advanceJob', job.jobId);
    const current = this.items.get(job.jobId);
    if (
      !current ||
      current.nextRunAt !== advance.expectedNextRunAt ||
      current.version !== advance.expectedVersion ||
      current.status !== 'active'
    ) {
      throw new ConditionFailed('moved');
    }
    let next = withNextRun(current, advance.nextRunAt);
    if (advance.enqueuedThrough !== null) next = { ...next, enqueuedThrough: advance.enqueuedThrough };
    if (advance.status)
      next = { ...next, status: advance.status, updatedAt: new Date(advance.now).toISOString() };
    this.store(next, advance.now);
  }

  async *dueJobs(shard: number, fromHour: string, upTo: number): AsyncIterable<DuePage> {
    const upToKey = `${new Date(upTo).toISOString()}#~`;
    const dueKey = (j: JobRecord) => `${j.nextRunAt}#${j.jobId}`;
    for (const hour of hoursBetween(fromHour, upTo)) {
      const due = () =>
        [...this.items.values()]
          .filter((j) => j.shard === shard && this.dueHours.get(j.jobId) === hour && dueKey(j) <= upToKey)
          .sort((a, b) => (dueKey(a) < dueKey(b) ? -1 : 1));
      let cursor: string | undefined;
      do {
        const found = page(due(), dueKey, 100, cursor, `due:${hour}#${shard}`);
        cursor = found.nextCursor ?? undefined;
        yield { hour, jobs: found.items.map(dueEntryOf) };
      } while (cursor);
    }
  }

  async listJobs(
    tenant: string,
    filter: { status?: JobRecord['status']; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobRecord>> {
    const createdKey = (j: JobRecord) => `${j.createdAt}#${j.jobId}`;
    const sorted = [...this.items.values()]
      .filter((j) => j.tenant === tenant)
      .filter((j) => !filter.status || j.status === filter.status)
      .filter((j) => !filter.namePrefix || (j.name ?? '').startsWith(filter.namePrefix))
      .sort((a, b) => (createdKey(a) < createdKey(b) ? 1 : -1));
    return page(sorted, createdKey, limit, cursor, `tenant:${tenant}`);
  }

  async getWatermark(shard: number): Promise<string | null> {
    return this.watermarks.get(shard) ?? null;
  }

  async setWatermark(shard: number, hour: string): Promise<void> {
    this.watermarks.set(shard, hour);
  }

  readonly slots = new Map<string, Map<string, number>>();

  async acquireSlot(jobId: string, holder: string, max: number, until: number, now: number) {
    this.beforeWrite('acquireSlot', jobId);
    const holders = this.slots.get(jobId) ?? new Map<string, number>();
    this.slots.set(jobId, holders);
    const held = holders.has(holder);
    for (const [h, u] of holders) if (h !== holder && u <= now) holders.delete(h);
    const live = [...holders.keys()].filter((h) => h !== holder).length;
    if (!held && live >= max) return 'full' as const;
    holders.set(holder, until);
    return held ? ('held' as const) : ('acquired' as const);
  }

  async releaseSlot(jobId: string, holder: string): Promise<void> {
    this.slots.get(jobId)?.delete(holder);
  }

  async scanJobs(cursor?: string): Promise<Page<JobRecord>> {
    const sorted = [...this.items.values()].sort((a, b) => (a.jobId < b.jobId ? -1 : 1));
    return page(sorted, (j) => j.jobId, 100, cursor, 'scan');
  }

  async ping(): Promise<void> {}

  readonly dependents = new Map<string, Set<string>>();
  readonly rounds = new Map<string, DependencyRound>();

  async addDependent(upstreamId: string, downstreamId: string): Promise<void> {
    this.beforeWrite('addDependent', upstreamId);
    const ids = this.dependents.get(upstreamId) ?? new Set<string>();
    ids.add(downstreamId);
    this.dependents.set(upstreamId, ids);
  }

  async removeDependent(upstreamId: string, downstreamId: string): Promise<void> {
    this.beforeWrite('removeDependent', upstreamId);
    this.dependents.get(upstreamId)?.delete(downstreamId);
  }

  async getDependentsOfMany(upstreamIds: string[]): Promise<Map<string, string[]>> {
    return new Map(upstreamIds.map((id) => [id, [...(this.dependents.get(id) ?? [])].sort()]));
  }

  async getDependents(upstreamId: string): Promise<string[]> {
    return [...(this.dependents.get(upstreamId) ?? [])].sort();
  }

  async getDependencyRound(downstreamId: string): Promise<DependencyRound> {
    return clone(this.rounds.get(downstreamId) ?? { arrived: {}, rev: 0 });
  }

  async recordUpstreamRun(
    downstreamId: string,
    upstreamId: string,
    executionId: string,
  ): Promise<DependencyRound> {
    this.beforeWrite('recordUpstreamRun', downstreamId);
    const current = this.rounds.get(downstreamId) ?? { arrived: {}, rev: 0 };
    const next = {
      ...current,
      arrived: { ...current.arrived, [upstreamId]: executionId },
      rev: current.rev + 1,
    };
    this.rounds.set(downstreamId, next);
    return clone(next);
  }

  async closeDependencyRound(
    downstreamId: string,
    expectedRev: number,
    consumed: string[],
    at: string,
  ): Promise<boolean> {
    this.beforeWrite('closeDependencyRound', downstreamId);
    const current = this.rounds.get(downstreamId) ?? { arrived: {}, rev: 0 };
    if (current.rev !== expectedRev) return false;
    const arrived = Object.fromEntries(
      Object.entries(current.arrived).filter(([up]) => !consumed.includes(up)),
    );
    this.rounds.set(downstreamId, { arrived, rev: current.rev + 1, lastClosedAt: at });
    return true;
  }
}

export class MemoryExecutionStore implements ExecutionStore {
  readonly items = new Map<string, ExecutionRecord>();
  beforeWrite: (operation: string, executionId: string) => void = () => {};

  async createExecution(item: ExecutionRecord): Promise<boolean> {
    this.beforeWrite('createExecution', item.executionId);
    if (this.items.has(item.executionId)) return false;
    this.items.set(item.executionId, clone(item));
    return true;
  }

  async getExecution(executionId: string): Promise<ExecutionRecord | null> {
    const item = this.items.get(executionId);
    return item ? clone(item) : null;
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionRecord[]> {
    return [...new Set(executionIds)].flatMap((id) => {
      const item = this.items.get(id);
      return item ? [clone(item)] : [];
    });
  }

  claim(claimed: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.writeAtRev('claim', claimed, expectedRev);
  }

  extendLease(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.writeAtRev('extendLease', execution, expectedRev);
  }

  recordOutcome(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.writeAtRev('recordOutcome', execution, expectedRev);
  }

  requestCancel(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.writeAtRev('requestCancel', execution, expectedRev);
  }

  replay(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.writeAtRev('replay', execution, expectedRev);
  }

  deferSweep(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.writeAtRev('deferSweep', execution, expectedRev);
  }

  private async writeAtRev(operation: string, item: ExecutionRecord, expectedRev: number): Promise<boolean> {
    this.beforeWrite(operation, item.executionId);
    const current = this.items.get(item.executionId);
    if (!current || current.rev !== expectedRev) return false;
    this.items.set(item.executionId, clone(item));
    return true;
  }

  async listByJob(
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionRecord>> {
    const sorted = [...this.items.values()]
      .filter((e) => e.jobId === jobId)
      .filter(
        (e) => (!filter.from || e.scheduledAt >= filter.from) && (!filter.to || e.scheduledAt <= filter.to),
      )
      .filter((e) => !filter.status || e.status === filter.status)
      .sort((a, b) => (a.scheduledAt < b.scheduledAt ? 1 : -1));
    return page(sorted, (e) => e.scheduledAt, limit, cursor, `job:${jobId}`);
  }

  async queryPending(
    shard: number,
    upTo: string,
    limit: number,
    options: { jobId?: string; cursor?: string } = {},
  ): Promise<Page<ExecutionRecord>> {
    const sorted = [...this.items.values()]
      .filter((e) => e.pending?.shard === shard && e.pending.at <= upTo)
      .filter((e) => !options.jobId || e.jobId === options.jobId)
      .sort((a, b) => (`${a.pending?.at}${a.executionId}` < `${b.pending?.at}${b.executionId}` ? -1 : 1));
    return page(sorted, (e) => `${e.pending?.at}${e.executionId}`, limit, options.cursor, `pending:${shard}`);
  }

  async listDead(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionRecord>> {
    const sorted = [...this.items.values()]
      .filter((e) => e.status === 'dead' && e.tenant === tenant)
      .sort((a, b) => (`${a.finishedAt}` < `${b.finishedAt}` ? 1 : -1));
    return page(sorted, (e) => e.executionId, limit, cursor, `dead:${tenant}`);
  }

  async ping(): Promise<void> {}
}

/** Records what was sent; tests deliver messages by hand (duplicates, reorderings, losses). */
export class MemoryRunQueue implements RunQueue {
  readonly sent: OutgoingRun[] = [];
  failNext = 0;
  /** How many send calls there were (each is a SendMessageBatch per ten runs in SQS). */
  sendCalls = 0;

  async send(runs: OutgoingRun[]): Promise<void> {
    this.sendCalls++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected queue failure');
    }
    this.sent.push(...structuredClone(runs));
  }

  take(): OutgoingRun[] {
    return this.sent.splice(0);
  }

  readonly visibilityChanges: VisibilityChange[] = [];

  async setVisibility(changes: VisibilityChange[]): Promise<void> {
    this.visibilityChanges.push(...changes);
  }

  async ping(): Promise<void> {}
}

/** A clock that only moves when told to (or when something sleeps on it). */
export class FakeClock implements Clock {
  constructor(public current: number) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.current += Math.max(0, ms);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
