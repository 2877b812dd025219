import { describe, expect, it } from 'vitest';
import { ConditionFailed } from '../../lambdas/core/errors.js';
import { withNextRun } from '../../lambdas/core/job-schedule.js';
import type { DependencyEdges } from '../../lambdas/core/ports/dependency-edges.js';
import type { DependencyRounds } from '../../lambdas/core/ports/dependency-rounds.js';
import type { DueIndex } from '../../lambdas/core/ports/due-index.js';
import type { ExecutionStore } from '../../lambdas/core/ports/execution-store.js';
import type { JobStore } from '../../lambdas/core/ports/job-store.js';
import type { Watermarks } from '../../lambdas/core/ports/watermarks.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
let counter = 0;

export function aJob(overrides: Partial<JobRecord> = {}): JobRecord {
  counter++;
  const jobId = `job_01J${String(counter).padStart(23, '0')}`;
  const created = new Date(NOW + counter).toISOString();
  const base: JobRecord = {
    jobId,
    tenant: 'team-a',
    status: 'active',
    version: 1,
    shard: 1,
    schedule: { type: 'rate', everySeconds: 60 },
    target: { type: 'http', url: 'https://example.com/hook', method: 'POST', headers: {} },
    timeoutSeconds: 30,
    retry: {
      maxAttempts: 3,
      backoff: 'exponential',
      initialDelaySeconds: 1,
      maxDelaySeconds: 300,
      jitter: 'full',
      retryOn4xx: false,
    },
    priority: 'normal',
    misfire: 'run_once',
    misfireGraceSeconds: 60,
    jitterSeconds: 0,
    dependsOn: [],
    onDependencyFailure: 'skip',
    notifications: [],
    createdAt: created,
    updatedAt: created,
    ...overrides,
  };
  return base;
}

export function anExecution(
  job: JobRecord,
  scheduledAt: string,
  overrides: Partial<ExecutionRecord> = {},
): ExecutionRecord {
  return {
    executionId: `${job.jobId}:${scheduledAt}`,
    jobId: job.jobId,
    tenant: job.tenant,
    scheduledAt,
    trigger: 'schedule',
    status: 'running',
    attempts: [],
    rev: 1,
    ...overrides,
  };
}

/** The store ports one implementation offers: the Jobs table's concerns and the executions. */
export interface Stores {
  jobs: JobStore;
  dueIndex: DueIndex;
  watermarks: Watermarks;
  dependencyEdges: DependencyEdges;
  dependencyRounds: DependencyRounds;
  executions: ExecutionStore;
}

/** The ids the due index holds for a shard from `fromHour` up to `upTo`, in the order it gives them. */
export async function dueIds(
  due: DueIndex,
  shard: number,
  fromHour: string,
  upTo: number,
): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of due.dueJobs(shard, fromHour, upTo)) ids.push(...page.jobs.map((j) => j.jobId));
  return ids;
}

/** One suite for every store implementation: the DynamoDB adapters on dynalite and the in-memory fakes. */
export function storeConformance(name: string, make: () => Stores) {
  describe(`${name} JobStore`, () => {
    it('creates once and refuses the same id again', async () => {
      const { jobs } = make();
      const job = aJob();
      await jobs.createJob(job, NOW);
      await expect(jobs.createJob(job, NOW)).rejects.toBeInstanceOf(ConditionFailed);
      expect(await jobs.getJob(job.jobId)).toEqual(job);
      expect(await jobs.getJob('job_missing')).toBeNull();
    });

    it('reads several jobs at once, leaving out the missing ones and the edge items', async () => {
      const { jobs, dependencyEdges: edges } = make();
      const [a, b] = [aJob(), aJob()];
      await jobs.createJob(a, NOW);
      await jobs.createJob(b, NOW);
      await edges.addDependent(a.jobId, b.jobId);
      const read = await jobs.getJobs([b.jobId, 'job_missing', a.jobId, b.jobId, `#dependents#${a.jobId}`]);
      expect(read.sort((x, y) => (x.jobId < y.jobId ? -1 : 1))).toEqual(
        [a, b].sort((x, y) => (x.jobId < y.jobId ? -1 : 1)),
      );
      expect(await jobs.getJobs([])).toEqual([]);
    });

    it('replaces only at the version and nextRunAt that were read', async () => {
      const { jobs } = make();
      const job = withNextRun(aJob(), NOW + 60_000);
      await jobs.createJob(job, NOW);
      const renamed = { ...job, name: 'renamed', version: 2 };
      await expect(
        jobs.replaceJob(renamed, { version: 2, nextRunAt: job.nextRunAt }, NOW),
      ).rejects.toBeInstanceOf(ConditionFailed);
      await expect(
        jobs.replaceJob(renamed, { version: 1, nextRunAt: undefined }, NOW),
      ).rejects.toBeInstanceOf(ConditionFailed);
      await jobs.replaceJob(renamed, { version: 1, nextRunAt: job.nextRunAt }, NOW);
      expect((await jobs.getJob(job.jobId))?.name).toBe('renamed');
    });

    it('ends a job in one conditional write: only active, with no next run, under the plan it was read at, after its last sent run', async () => {
      const { jobs } = make();
      const done = { ...aJob({ planRev: 2 }), enqueuedThrough: '2026-05-01T12:00:00.000Z' };
      await jobs.createJob(done, NOW);
      const finish = { status: 'completed' as const, planRev: 2, lastRunAt: '2026-05-01T12:00:00.000Z' };
      expect(await jobs.finishJob(done.jobId, { ...finish, planRev: 3 }, NOW)).toBe(false);
      expect(
        await jobs.finishJob(done.jobId, { ...finish, lastRunAt: '2026-05-01T11:59:00.000Z' }, NOW),
      ).toBe(false);
      expect(await jobs.finishJob(done.jobId, finish, NOW + 5)).toBe(true);
      expect(await jobs.getJob(done.jobId)).toEqual({
        ...done,
        status: 'completed',
        version: done.version + 1,
        updatedAt: new Date(NOW + 5).toISOString(),
      });
      expect(await jobs.finishJob(done.jobId, finish, NOW)).toBe(false); // no longer active

      const due = withNextRun(aJob(), NOW + 60_000);
      await jobs.createJob(due, NOW);
      expect(
        await jobs.finishJob(due.jobId, { status: 'failed', planRev: 0, lastRunAt: due.nextRunAt! }, NOW),
      ).toBe(false);
      const never = aJob();
      expect(
        await jobs.finishJob(never.jobId, { status: 'failed', planRev: 0, lastRunAt: never.createdAt }, NOW),
      ).toBe(false);
      expect(await jobs.getJob(never.jobId)).toBeNull();
    });

    it('finds due jobs by shard and hour up to an instant, and advancing moves them along the index', async () => {
      const { jobs, dueIndex } = make();
      const shard = 7 + (counter % 1000) * 10; // a shard no other test uses
      const soon = withNextRun(aJob({ shard }), NOW + 30_000);
      const later = withNextRun(aJob({ shard }), NOW + 600_000);
      await jobs.createJob(soon, NOW);
      await jobs.createJob(later, NOW);
      const endOfHour = Date.parse('2026-05-01T12:59:59.999Z');
      expect(await dueIds(dueIndex, shard, '2026-05-01T12', NOW + 120_000)).toEqual([soon.jobId]);
      expect(await dueIds(dueIndex, shard + 1, '2026-05-01T12', NOW + 120_000)).toEqual([]);

      await expect(
        dueIndex.advanceJob(soon, {
          expectedNextRunAt: soon.nextRunAt!,
          expectedVersion: 2,
          nextRunAt: NOW + 90_000,
          enqueuedThrough: null,
          now: NOW,
        }),
      ).rejects.toBeInstanceOf(ConditionFailed);
      await dueIndex.advanceJob(soon, {
        expectedNextRunAt: soon.nextRunAt!,
        expectedVersion: 1,
        nextRunAt: NOW + 3_600_000,
        enqueuedThrough: new Date(NOW + 30_000).toISOString(),
        now: NOW,
      });
      const moved = await jobs.getJob(soon.jobId);
      expect(moved).toMatchObject({
        nextRunAt: '2026-05-01T13:00:00.000Z',
        enqueuedThrough: '2026-05-01T12:00:30.000Z',
        version: 1,
      });
      // Filed under its new hour now; its old hour holds only the other job.
      expect(await dueIds(dueIndex, shard, '2026-05-01T13', NOW + 3_600_000)).toEqual([soon.jobId]);
      expect(await dueIds(dueIndex, shard, '2026-05-01T12', endOfHour)).toEqual([later.jobId]);
      // A second advance from the same read loses: the watcher must not move a job twice.
      await expect(
        dueIndex.advanceJob(soon, {
          expectedNextRunAt: soon.nextRunAt!,
          expectedVersion: 1,
          nextRunAt: null,
          enqueuedThrough: null,
          now: NOW,
        }),
      ).rejects.toBeInstanceOf(ConditionFailed);
      await dueIndex.advanceJob(moved!, {
        expectedNextRunAt: moved!.nextRunAt!,
        expectedVersion: 1,
        nextRunAt: null,
        enqueuedThrough: null,
        status: 'completed',
        now: NOW,
      });
      const done = await jobs.getJob(soon.jobId);
      expect(done?.status).toBe('completed');
      expect(await dueIds(dueIndex, shard, '2026-05-01T12', NOW + 7_200_000)).toEqual([later.jobId]);
      expect(done?.nextRunAt).toBeUndefined();
    });

    it('files a job whose next run is already past under the hour it was written in', async () => {
      const { jobs, dueIndex } = make();
      const shard = 8 + (counter % 1000) * 10;
      const overdue = withNextRun(aJob({ shard }), NOW - 3 * 3_600_000);
      await jobs.createJob(overdue, NOW);
      expect(await dueIds(dueIndex, shard, '2026-05-01T12', NOW)).toEqual([overdue.jobId]);
    });

    it('lists a tenant’s jobs newest first with filters and cursors, and no one else’s', async () => {
      const { jobs } = make();
      const tenant = `tenant-${counter}`;
      const mine = [
        aJob({ tenant, name: 'alpha-1' }),
        aJob({ tenant, name: 'alpha-2' }),
        aJob({ tenant, name: 'beta-1', status: 'paused' }),
      ];
      for (const j of mine) await jobs.createJob(j, NOW);
      await jobs.createJob(aJob({ tenant: `${tenant}-other`, name: 'alpha-x' }), NOW);
      const first = await jobs.listJobs(tenant, {}, 2);
      expect(first.items.map((j) => j.name)).toEqual(['beta-1', 'alpha-2']);
      expect(first.nextCursor).not.toBeNull();
      const second = await jobs.listJobs(tenant, {}, 2, first.nextCursor!);
      expect(second.items.map((j) => j.name)).toEqual(['alpha-1']);
      expect((await jobs.listJobs(tenant, { namePrefix: 'alpha' }, 10)).items.map((j) => j.name)).toEqual([
        'alpha-2',
        'alpha-1',
      ]);
      expect((await jobs.listJobs(tenant, { status: 'paused' }, 10)).items.map((j) => j.name)).toEqual([
        'beta-1',
      ]);
      await expect(jobs.listJobs(`${tenant}-other`, {}, 2, first.nextCursor!)).rejects.toThrow(/cursor/);
    });

    it('fills a status-filtered page past jobs of other statuses, by the job’s current status, and pages on with its cursor', async () => {
      const { jobs } = make();
      const tenant = `tenant-${counter}`;
      const done = [aJob({ tenant, name: 'done-1' }), aJob({ tenant, name: 'done-2' })];
      for (const j of done) await jobs.createJob(j, NOW);
      for (let i = 0; i < 5; i++) await jobs.createJob(aJob({ tenant, name: `active-${i}` }), NOW);
      // both end after they were listed as active: the filter sees their status now
      for (const j of done) {
        await jobs.replaceJob(
          { ...j, status: 'completed', version: 2 },
          { version: 1, nextRunAt: undefined },
          NOW,
        );
      }
      const first = await jobs.listJobs(tenant, { status: 'completed' }, 1);
      expect(first.items.map((j) => j.name)).toEqual(['done-2']);
      const second = await jobs.listJobs(tenant, { status: 'completed' }, 1, first.nextCursor!);
      expect(second.items.map((j) => j.name)).toEqual(['done-1']);
      expect((await jobs.listJobs(tenant, { status: 'completed' }, 10)).items.map((j) => j.name)).toEqual([
        'done-2',
        'done-1',
      ]);
      expect(
        (await jobs.listJobs(tenant, { status: 'active', namePrefix: 'active-1' }, 10)).items.map(
          (j) => j.name,
        ),
      ).toEqual(['active-1']);
    });

    it('keeps a watermark per shard', async () => {
      const { watermarks } = make();
      expect(await watermarks.getWatermark(999)).toBeNull();
      await watermarks.setWatermark(999, '2026-05-01T11');
      expect(await watermarks.getWatermark(999)).toBe('2026-05-01T11');
    });

    it('keeps reverse dependency edges apart from the job, so a job replace leaves them alone', async () => {
      const { jobs, dependencyEdges: edges } = make();
      const upstream = aJob();
      const [a, b] = [aJob(), aJob()];
      await jobs.createJob(upstream, NOW);
      expect(await edges.getDependents(upstream.jobId)).toEqual([]);
      await edges.addDependent(upstream.jobId, b.jobId);
      await edges.addDependent(upstream.jobId, a.jobId);
      await edges.addDependent(upstream.jobId, a.jobId);
      await jobs.replaceJob(
        { ...upstream, name: 'patched', version: 2 },
        { version: 1, nextRunAt: undefined },
        NOW,
      );
      expect(await edges.getDependents(upstream.jobId)).toEqual([a.jobId, b.jobId]);
      const many = await edges.getDependentsOfMany([upstream.jobId, a.jobId, upstream.jobId]);
      expect([...many].sort()).toEqual(
        [
          [upstream.jobId, [a.jobId, b.jobId]],
          [a.jobId, []],
        ].sort(),
      );
      await edges.removeDependent(upstream.jobId, a.jobId);
      await edges.removeDependent(upstream.jobId, 'job_never_added');
      expect(await edges.getDependents(upstream.jobId)).toEqual([b.jobId]);
      await edges.removeDependent(upstream.jobId, b.jobId);
      expect(await edges.getDependents(upstream.jobId)).toEqual([]);
      // Edge items are not jobs: they stay out of scans.
      const scanned = (await jobs.scanJobs()).items.map((j) => j.jobId);
      expect(scanned.some((id) => id.startsWith('#'))).toBe(false);
    });

    it('records upstream arrivals in a round that closes once per rev', async () => {
      const { dependencyRounds: rounds } = make();
      const down = aJob();
      expect(await rounds.getDependencyRound(down.jobId)).toEqual({ arrived: {}, rev: 0 });
      const first = await rounds.recordUpstreamRun(down.jobId, 'job_up1', 'job_up1:t1');
      expect(first).toEqual({ arrived: { job_up1: 'job_up1:t1' }, rev: 1 });
      const second = await rounds.recordUpstreamRun(down.jobId, 'job_up2', 'job_up2:t1');
      expect(second).toEqual({ arrived: { job_up1: 'job_up1:t1', job_up2: 'job_up2:t1' }, rev: 2 });
      // Two closers that read the same rev: exactly one wins.
      const closes = await Promise.all([
        rounds.closeDependencyRound(down.jobId, 2, ['job_up1', 'job_up2'], '2026-05-01T12:00:01.000Z'),
        rounds.closeDependencyRound(down.jobId, 2, ['job_up1', 'job_up2'], '2026-05-01T12:00:02.000Z'),
      ]);
      expect(closes.filter(Boolean)).toHaveLength(1);
      const closed = await rounds.getDependencyRound(down.jobId);
      expect(closed.arrived).toEqual({});
      expect(closed.rev).toBe(3);
      expect(closed.lastClosedAt).toMatch(/^2026-05-01T12:00:0[12]\.000Z$/);
      // An arrival after the read makes a stale close fail, and what arrived stays.
      await rounds.recordUpstreamRun(down.jobId, 'job_up1', 'job_up1:t2');
      const stale = await rounds.closeDependencyRound(down.jobId, 3, ['job_up1'], '2026-05-01T12:00:03.000Z');
      expect(stale).toBe(false);
      expect((await rounds.getDependencyRound(down.jobId)).arrived).toEqual({ job_up1: 'job_up1:t2' });
      // Closing only what was consumed leaves the rest for the next round.
      await rounds.recordUpstreamRun(down.jobId, 'job_up2', 'job_up2:t2');
      const fresh = await rounds.closeDependencyRound(down.jobId, 5, ['job_up2'], '2026-05-01T12:00:04.000Z');
      expect(fresh).toBe(true);
      expect(await rounds.getDependencyRound(down.jobId)).toEqual({
        arrived: { job_up1: 'job_up1:t2' },
        rev: 6,
        lastClosedAt: '2026-05-01T12:00:04.000Z',
      });
    });

    it('closes a round nobody wrote yet (a failure before any arrival) exactly once', async () => {
      const { dependencyRounds: rounds } = make();
      const down = aJob();
      const closes = await Promise.all([
        rounds.closeDependencyRound(down.jobId, 0, [], '2026-05-01T12:00:01.000Z'),
        rounds.closeDependencyRound(down.jobId, 0, [], '2026-05-01T12:00:01.000Z'),
      ]);
      expect(closes.filter(Boolean)).toHaveLength(1);
      expect(await rounds.getDependencyRound(down.jobId)).toMatchObject({ arrived: {}, rev: 1 });
    });
  });

  describe(`${name} ExecutionStore`, () => {
    it('creates an execution once: the claim of a duplicate delivery fails', async () => {
      const { executions } = make();
      const item = anExecution(aJob(), '2026-05-01T12:00:00.000Z');
      expect(await executions.createExecution(item)).toBe(true);
      expect(await executions.createExecution({ ...item, status: 'queued' })).toBe(false);
      expect(await executions.getExecution(item.executionId)).toEqual(item);
    });

    it('writes a transition only at the expected rev', async () => {
      const { executions } = make();
      const item = anExecution(aJob(), '2026-05-01T12:00:00.000Z');
      await executions.createExecution(item);
      expect(await executions.recordOutcome({ ...item, status: 'succeeded', rev: 2 }, 1)).toBe(true);
      expect(await executions.recordOutcome({ ...item, status: 'failed', rev: 2 }, 1)).toBe(false);
      expect((await executions.getExecution(item.executionId))?.status).toBe('succeeded');
    });

    it('writes every kind of transition under the same rev condition', async () => {
      const { executions } = make();
      const transitions = [
        'claim',
        'extendLease',
        'recordOutcome',
        'requestCancel',
        'replay',
        'deferSweep',
      ] as const;
      for (const [i, transition] of transitions.entries()) {
        const item = anExecution(aJob(), `2026-05-01T12:00:0${i}.000Z`, { status: 'queued' });
        await executions.createExecution(item);
        const next = { ...item, status: 'running' as const, rev: 2 };
        expect(await executions[transition](next, 2), transition).toBe(false);
        expect(await executions[transition](next, 1), transition).toBe(true);
        expect(await executions.getExecution(item.executionId), transition).toEqual(next);
      }
    });

    it('lists a job’s history newest first with status and time filters', async () => {
      const { executions } = make();
      const job = aJob();
      const times = ['2026-05-01T10:00:00.000Z', '2026-05-01T11:00:00.000Z', '2026-05-01T12:00:00.000Z'];
      await executions.createExecution(anExecution(job, times[0]!, { status: 'failed' }));
      await executions.createExecution(anExecution(job, times[1]!, { status: 'succeeded' }));
      await executions.createExecution(anExecution(job, times[2]!, { status: 'succeeded' }));
      const all = await executions.listByJob(job.jobId, {}, 2);
      expect(all.items.map((e) => e.scheduledAt)).toEqual([times[2], times[1]]);
      const rest = await executions.listByJob(job.jobId, {}, 2, all.nextCursor!);
      expect(rest.items.map((e) => e.scheduledAt)).toEqual([times[0]]);
      expect((await executions.listByJob(job.jobId, { status: 'failed' }, 10)).items).toHaveLength(1);
      expect(
        (await executions.listByJob(job.jobId, { from: times[1], to: times[1] }, 10)).items.map(
          (e) => e.scheduledAt,
        ),
      ).toEqual([times[1]]);
      expect(
        (await executions.getExecutions([`${job.jobId}:${times[0]}`, 'nope', `${job.jobId}:${times[0]}`]))
          .length,
      ).toBe(1);
    });

    it('finds pending executions of a shard up to an instant, optionally for one job', async () => {
      const { executions } = make();
      const shard = 5000 + counter;
      const job = aJob();
      const other = aJob();
      await executions.createExecution(
        anExecution(job, '2026-05-01T12:00:00.000Z', {
          pending: { shard, at: '2026-05-01T12:01:00.000Z' },
        }),
      );
      await executions.createExecution(
        anExecution(other, '2026-05-01T12:00:00.000Z', {
          pending: { shard, at: '2026-05-01T12:30:00.000Z' },
        }),
      );
      await executions.createExecution(anExecution(job, '2026-05-01T11:00:00.000Z', { status: 'succeeded' }));
      expect(
        (await executions.queryPending(shard, '2026-05-01T12:05:00.000Z', 10)).items.map((e) => e.jobId),
      ).toEqual([job.jobId]);
      expect((await executions.queryPending(shard, '9999', 10)).items).toHaveLength(2);
      expect(
        (await executions.queryPending(shard, '9999', 10, { jobId: other.jobId })).items.map((e) => e.jobId),
      ).toEqual([other.jobId]);
    });

    it('lists dead letters of a tenant only', async () => {
      const { executions } = make();
      const tenant = `dead-${counter}`;
      const job = aJob({ tenant });
      await executions.createExecution(
        anExecution(job, '2026-05-01T12:00:00.000Z', {
          status: 'dead',
          finishedAt: '2026-05-01T12:00:05.000Z',
        }),
      );
      await executions.createExecution(anExecution(job, '2026-05-01T12:01:00.000Z', { status: 'succeeded' }));
      expect((await executions.listDead(tenant, 10)).items.map((e) => e.status)).toEqual(['dead']);
      expect((await executions.listDead(`${tenant}-x`, 10)).items).toEqual([]);
    });
  });
}
