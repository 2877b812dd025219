import { ConditionFailed, InvalidCursor } from '../../lambdas/core/errors.js';
import type { Clock } from '../../lambdas/core/ports/clock.js';
import type { ExecutionFilter, ExecutionStore } from '../../lambdas/core/ports/execution-store.js';
import type { DependencyRound, DueAdvance, JobStore } from '../../lambdas/core/ports/job-store.js';
import type { Page } from '../../lambdas/core/ports/page.js';
import type { OutgoingRun, RunQueue, VisibilityChange } from '../../lambdas/core/ports/run-queue.js';
import { withNextRun } from '../../lambdas/services/jobs-service.js';
import type { ExecutionItem, JobItem } from '../../schemas/stored.js';

const clone = <T>(value: T): T => structuredClone(value);

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

/** In-memory JobStore with the same conditions as the DynamoDB adapter (it passes the same conformance suite). */
export class MemoryJobStore implements JobStore {
  readonly items = new Map<string, JobItem>();
  private readonly watermarks = new Map<number, string>();
  /** Inject failures: called before every write. */
  beforeWrite: (operation: string, jobId: string) => void = () => {};

  async createJob(job: JobItem): Promise<void> {
    this.beforeWrite('createJob', job.jobId);
    if (this.items.has(job.jobId)) throw new ConditionFailed('exists');
    this.items.set(job.jobId, clone(job));
  }

  async getJob(jobId: string): Promise<JobItem | null> {
    const item = this.items.get(jobId);
    return item ? clone(item) : null;
  }

  async replaceJob(
    job: JobItem,
    expected: { version: number; nextRunAt: string | undefined },
  ): Promise<void> {
    this.beforeWrite('replaceJob', job.jobId);
    const current = this.items.get(job.jobId);
    if (!current || current.version !== expected.version || current.nextRunAt !== expected.nextRunAt) {
      throw new ConditionFailed('changed');
    }
    this.items.set(job.jobId, clone(job));
  }

  async advanceJob(job: JobItem, advance: DueAdvance): Promise<void> {
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
    let next = withNextRun(current, advance.nextRunAt, advance.now);
    if (advance.enqueuedThrough !== null) next = { ...next, enqueuedThrough: advance.enqueuedThrough };
    if (advance.status)
      next = { ...next, status: advance.status, updatedAt: new Date(advance.now).toISOString() };
    this.items.set(job.jobId, next);
  }

  async queryDue(bucket: string, upToKey: string, limit: number, cursor?: string): Promise<Page<JobItem>> {
    const sorted = [...this.items.values()]
      .filter((j) => j.dueBucket === bucket && j.dueKey !== undefined && j.dueKey <= upToKey)
      .sort((a, b) => (a.dueKey! < b.dueKey! ? -1 : 1));
    return page(sorted, (j) => j.dueKey!, limit, cursor, `due:${bucket}`);
  }

  async listJobs(
    tenant: string,
    filter: { status?: JobItem['status']; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobItem>> {
    const sorted = [...this.items.values()]
      .filter((j) => j.tenant === tenant)
      .filter((j) => !filter.status || j.status === filter.status)
      .filter((j) => !filter.namePrefix || (j.name ?? '').startsWith(filter.namePrefix))
      .sort((a, b) => (a.createdKey < b.createdKey ? 1 : -1));
    return page(sorted, (j) => j.createdKey, limit, cursor, `tenant:${tenant}`);
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

  async scanJobs(cursor?: string): Promise<Page<JobItem>> {
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
  readonly items = new Map<string, ExecutionItem>();
  beforeWrite: (operation: string, executionId: string) => void = () => {};

  async createExecution(item: ExecutionItem): Promise<boolean> {
    this.beforeWrite('createExecution', item.executionId);
    if (this.items.has(item.executionId)) return false;
    this.items.set(item.executionId, clone(item));
    return true;
  }

  async getExecution(executionId: string): Promise<ExecutionItem | null> {
    const item = this.items.get(executionId);
    return item ? clone(item) : null;
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionItem[]> {
    return [...new Set(executionIds)].flatMap((id) => {
      const item = this.items.get(id);
      return item ? [clone(item)] : [];
    });
  }

  async replaceExecution(item: ExecutionItem, expectedRev: number): Promise<void> {
    this.beforeWrite('replaceExecution', item.executionId);
    const current = this.items.get(item.executionId);
    if (!current || current.rev !== expectedRev) throw new ConditionFailed('changed');
    this.items.set(item.executionId, clone(item));
  }

  async listByJob(
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionItem>> {
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
  ): Promise<Page<ExecutionItem>> {
    const sorted = [...this.items.values()]
      .filter((e) => e.pendingShard === String(shard) && e.pendingAt !== undefined && e.pendingAt <= upTo)
      .filter((e) => !options.jobId || e.jobId === options.jobId)
      .sort((a, b) => (`${a.pendingAt}${a.executionId}` < `${b.pendingAt}${b.executionId}` ? -1 : 1));
    return page(sorted, (e) => `${e.pendingAt}${e.executionId}`, limit, options.cursor, `pending:${shard}`);
  }

  async listDead(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionItem>> {
    const sorted = [...this.items.values()]
      .filter((e) => e.deadTenant === tenant)
      .sort((a, b) => (`${a.finishedAt}` < `${b.finishedAt}` ? 1 : -1));
    return page(sorted, (e) => e.executionId, limit, cursor, `dead:${tenant}`);
  }

  async ping(): Promise<void> {}
}

/** Records what was sent; tests deliver messages by hand (duplicates, reorderings, losses). */
export class MemoryRunQueue implements RunQueue {
  readonly sent: OutgoingRun[] = [];
  failNext = 0;

  async send(runs: OutgoingRun[]): Promise<void> {
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
