import { describe, expect, it } from 'vitest';
import { InvalidSchedule, InvalidState, VersionConflict } from '../../lambdas/core/errors.js';
import {
  applyJobPatch,
  isRunOfCurrentSchedule,
  missedSince,
  RESUME_LOOKBACK_MS,
} from '../../lambdas/core/lifecycle.js';
import { SKIPPED_RECORD_LIMIT } from '../../lambdas/core/misfire.js';
import { ExecuteService } from '../../lambdas/services/execute-service.js';
import { JobsService } from '../../lambdas/services/jobs-service.js';
import { WatchService } from '../../lambdas/services/watch-service.js';
import { CreateJobBody, type MisfirePolicy, PatchJobBody } from '../../schemas/job.js';
import type { JobItem } from '../../schemas/stored.js';
import { fakeDeps } from '../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const at = (s: string) => Date.parse(s);

function setup() {
  const f = fakeDeps(NOW);
  return {
    ...f,
    service: new JobsService(f.deps),
    watch: new WatchService(f.deps),
    executor: new ExecuteService(f.deps, 'exec-a'),
  };
}
type Setup = ReturnType<typeof setup>;

const body = (overrides: Record<string, unknown>) =>
  CreateJobBody.parse({ target: { url: 'https://example.com/hook' }, ...overrides });
const patchOf = (value: Record<string, unknown>) => PatchJobBody.parse(value);

/** A job running every minute from 12:01 (its first two runs are sent at create, the look-ahead being 2 min). */
async function everyMinute(s: Setup, overrides: Record<string, unknown> = {}) {
  const job = await s.service.createJob(
    't',
    body({ schedule: { type: 'rate', everySeconds: 60 }, misfireGraceSeconds: 30, ...overrides }),
  );
  s.queue.take();
  return job;
}

const sentTimes = (s: Setup) =>
  s.queue.sent.map((r) => [r.message.scheduledAt, r.message.lateAccepted === true]);

async function skippedTimes(s: Setup, jobId: string): Promise<string[]> {
  const page = await s.executions.listByJob(jobId, { status: 'skipped' }, 1000);
  return page.items.map((e) => e.scheduledAt).sort();
}

describe('JobsService lifecycle', () => {
  describe('patchJob', () => {
    it('replaces only the given fields and bumps the version', async () => {
      const s = setup();
      const job = await everyMinute(s, { name: 'old', concurrency: { max: 2 } });
      const patched = await s.service.patchJob(
        't',
        job.jobId,
        patchOf({ name: 'new', timeoutSeconds: 5, retry: { maxAttempts: 1 }, concurrency: null }),
      );
      expect(patched).toMatchObject({ name: 'new', timeoutSeconds: 5, version: 2 });
      expect(patched.retry).toMatchObject({ maxAttempts: 1, backoff: 'exponential' });
      expect(patched.concurrency).toBeUndefined();
      // The schedule did not change: the job keeps its place on the due index.
      expect(patched.nextRunAt).toBe(job.nextRunAt);
      expect(patched.dueKey).toBe(job.dueKey);
      expect(patched.enqueuedThrough).toBe(job.enqueuedThrough);
      expect(await s.jobs.getJob(job.jobId)).toEqual(patched);
      expect(s.queue.sent).toEqual([]);
    });

    it('changes nothing, not even the version, when every field given has its current value', async () => {
      const s = setup();
      const job = await everyMinute(s, { name: 'same' });
      const patched = await s.service.patchJob(
        't',
        job.jobId,
        patchOf({ name: 'same', schedule: { everySeconds: 60, type: 'rate' } }),
      );
      expect(patched.version).toBe(1);
      expect(patched).toEqual(job);
    });

    it('moves a job to its new schedule in one write: nextRunAt from now, new due bucket, no old enqueuedThrough', async () => {
      const s = setup();
      const job = await everyMinute(s);
      s.clock.current = at('2026-05-01T12:00:30.000Z');
      const writes: string[] = [];
      s.jobs.beforeWrite = (operation) => writes.push(operation);
      const patched = await s.service.patchJob(
        't',
        job.jobId,
        patchOf({ schedule: { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' } }),
      );
      // One write, conditioned on the version and nextRunAt it read, moves the job between buckets.
      expect(writes).toEqual(['replaceJob']);
      expect(job.dueBucket).toBe(`2026-05-01T12#${job.shard}`);
      expect(patched).toMatchObject({
        version: 2,
        nextRunAt: '2026-05-01T15:00:00.000Z',
        dueBucket: `2026-05-01T15#${job.shard}`,
        dueKey: `2026-05-01T15:00:00.000Z#${job.jobId}`,
        scheduleChangedAt: '2026-05-01T12:00:30.000Z',
      });
      expect(patched.enqueuedThrough).toBeUndefined();
      expect(patched.anchorAt).toBeUndefined();
      expect(s.queue.sent).toEqual([]);
      // The runs the old schedule had already queued (12:01, 12:02) no longer belong to the job.
      expect(isRunOfCurrentSchedule(patched, at('2026-05-01T12:01:00.000Z'))).toBe(false);
      expect(isRunOfCurrentSchedule(patched, at('2026-05-01T15:00:00.000Z'))).toBe(true);
    });

    it('sends the first runs of a new schedule inside the look-ahead at once, anchored at the change', async () => {
      const s = setup();
      const job = await s.service.createJob(
        't',
        body({ schedule: { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' } }),
      );
      s.clock.current = at('2026-05-01T12:00:00.500Z');
      const patched = await s.service.patchJob(
        't',
        job.jobId,
        patchOf({ schedule: { type: 'rate', everySeconds: 30 } }),
      );
      expect(patched.anchorAt).toBe('2026-05-01T12:00:30.500Z');
      expect(s.queue.sent.map((r) => r.message.scheduledAt)).toEqual([
        '2026-05-01T12:00:30.500Z',
        '2026-05-01T12:01:00.500Z',
        '2026-05-01T12:01:30.500Z',
        '2026-05-01T12:02:00.500Z',
      ]);
      expect(patched.enqueuedThrough).toBe('2026-05-01T12:02:00.500Z');
      expect(patched.nextRunAt).toBe('2026-05-01T12:02:30.500Z');
      expect(await s.jobs.getJob(job.jobId)).toEqual(patched);
    });

    it('puts the job back on the due index at its first run when sending after a schedule change fails', async () => {
      const s = setup();
      const job = await everyMinute(s);
      s.queue.failNext = 1;
      await s.service.patchJob('t', job.jobId, patchOf({ schedule: { type: 'rate', everySeconds: 20 } }));
      const stored = await s.jobs.getJob(job.jobId);
      expect(stored?.nextRunAt).toBe('2026-05-01T12:00:20.000Z');
      expect(stored?.enqueuedThrough).toBeUndefined();
      const report = await s.watch.watchShard(stored!.shard);
      expect(report.runsEnqueued).toBe(6);
    });

    it('retries on a fresh read when the watcher advanced the job between read and write', async () => {
      const s = setup();
      const job = await everyMinute(s);
      let raced = false;
      s.jobs.beforeWrite = (operation, jobId) => {
        if (operation !== 'replaceJob' || raced) return;
        raced = true;
        const current = s.jobs.items.get(jobId)!;
        s.jobs.items.set(jobId, { ...current, nextRunAt: '2026-05-01T12:04:00.000Z' });
      };
      const patched = await s.service.patchJob('t', job.jobId, patchOf({ priority: 'high' }));
      expect(raced).toBe(true);
      expect(patched).toMatchObject({ priority: 'high', version: 2, nextRunAt: '2026-05-01T12:04:00.000Z' });
    });

    it('honours If-Match: another version is a VersionConflict that writes nothing', async () => {
      const s = setup();
      const job = await everyMinute(s);
      await expect(
        s.service.patchJob('t', job.jobId, patchOf({ name: 'x' }), { versions: [7] }),
      ).rejects.toBeInstanceOf(VersionConflict);
      expect(await s.jobs.getJob(job.jobId)).toEqual(job);
      const ok = await s.service.patchJob('t', job.jobId, patchOf({ name: 'x' }), { versions: [1] });
      expect(ok.version).toBe(2);
      const any = await s.service.patchJob('t', job.jobId, patchOf({ name: 'y' }), { any: true });
      expect(any.version).toBe(3);
    });

    it('refuses to change a cancelled, completed or failed job and writes nothing', async () => {
      const s = setup();
      const job = await everyMinute(s);
      const cancelled = await s.service.cancelJob('t', job.jobId);
      await expect(s.service.patchJob('t', job.jobId, patchOf({ name: 'x' }))).rejects.toBeInstanceOf(
        InvalidState,
      );
      for (const status of ['completed', 'failed'] as const) {
        const other = await everyMinute(s);
        const finished = { ...(await s.jobs.getJob(other.jobId))!, status };
        s.jobs.items.set(other.jobId, finished);
        await expect(s.service.patchJob('t', other.jobId, patchOf({ name: 'x' }))).rejects.toThrow(
          `is ${status}`,
        );
        expect(await s.jobs.getJob(other.jobId)).toEqual(finished);
      }
      expect(await s.jobs.getJob(job.jobId)).toEqual(cancelled);
    });

    it('refuses an invalid new schedule before anything is written', async () => {
      const s = setup();
      const job = await everyMinute(s);
      await expect(
        s.service.patchJob(
          't',
          job.jobId,
          patchOf({ schedule: { type: 'cron', expression: '0 9 * * *', timezone: 'Mars/Olympus' } }),
        ),
      ).rejects.toBeInstanceOf(InvalidSchedule);
      expect(await s.jobs.getJob(job.jobId)).toEqual(job);
    });

    it('keeps a paused job off the index when its schedule changes; resume counts from the change', async () => {
      const s = setup();
      const job = await everyMinute(s, { misfire: 'skip' });
      await s.service.pauseJob('t', job.jobId);
      s.clock.current = at('2026-05-01T12:10:30.000Z');
      const patched = await s.service.patchJob(
        't',
        job.jobId,
        patchOf({ schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } }),
      );
      expect(patched).toMatchObject({ status: 'paused', scheduleChangedAt: '2026-05-01T12:10:30.000Z' });
      expect(patched.nextRunAt).toBeUndefined();
      s.clock.current = at('2026-05-01T12:21:00.000Z');
      const resumed = await s.service.resumeJob('t', job.jobId);
      // 12:15 and 12:20 fell after the change and before the resume: missed under `skip`.
      expect(await skippedTimes(s, job.jobId)).toEqual([
        '2026-05-01T12:15:00.000Z',
        '2026-05-01T12:20:00.000Z',
      ]);
      expect(resumed).toMatchObject({ status: 'active', nextRunAt: '2026-05-01T12:25:00.000Z' });
      expect(s.queue.sent).toEqual([]);
    });

    it('keeps the reverse dependency edges in line with dependsOn', async () => {
      const s = setup();
      const upstream = await everyMinute(s);
      const job = await everyMinute(s);
      await s.service.patchJob('t', job.jobId, patchOf({ dependsOn: [upstream.jobId] }));
      expect(await s.jobs.getDependents(upstream.jobId)).toEqual([job.jobId]);
      await s.service.patchJob('t', job.jobId, patchOf({ dependsOn: [] }));
      expect(await s.jobs.getDependents(upstream.jobId)).toEqual([]);
    });
  });

  describe('pauseJob', () => {
    it('takes the job off the due index; pausing again changes nothing', async () => {
      const s = setup();
      const job = await everyMinute(s);
      s.clock.current = at('2026-05-01T12:00:10.000Z');
      const paused = await s.service.pauseJob('t', job.jobId);
      expect(paused).toMatchObject({ status: 'paused', pausedAt: '2026-05-01T12:00:10.000Z', version: 2 });
      expect(paused.nextRunAt).toBeUndefined();
      expect(paused.dueBucket).toBeUndefined();
      const again = await s.service.pauseJob('t', job.jobId);
      expect(again).toEqual(paused);
      s.clock.current = at('2026-05-01T12:30:00.000Z');
      const report = await s.watch.watchShard(job.shard);
      expect(report.dueJobs).toBe(0);
      expect(s.queue.sent).toEqual([]);
    });

    it('refuses a cancelled job', async () => {
      const s = setup();
      const job = await everyMinute(s);
      await s.service.cancelJob('t', job.jobId);
      await expect(s.service.pauseJob('t', job.jobId)).rejects.toBeInstanceOf(InvalidState);
      await expect(s.service.resumeJob('t', job.jobId)).rejects.toBeInstanceOf(InvalidState);
    });
  });

  describe('resumeJob', () => {
    // Paused 12:02:30 → resumed 12:10:10, grace 30 s: 12:03 … 12:09 are missed (7 runs), 12:10 is
    // still within its grace, and 12:11, 12:12 fall inside the look-ahead.
    const table: { policy: MisfirePolicy; runs: [string, boolean][]; skipped: string[] }[] = [
      {
        policy: 'skip',
        runs: [
          ['2026-05-01T12:10:00.000Z', false],
          ['2026-05-01T12:11:00.000Z', false],
          ['2026-05-01T12:12:00.000Z', false],
        ],
        skipped: ['03', '04', '05', '06', '07', '08', '09'].map((m) => `2026-05-01T12:${m}:00.000Z`),
      },
      {
        policy: 'run_once',
        runs: [
          ['2026-05-01T12:09:00.000Z', true],
          ['2026-05-01T12:10:00.000Z', false],
          ['2026-05-01T12:11:00.000Z', false],
          ['2026-05-01T12:12:00.000Z', false],
        ],
        skipped: ['03', '04', '05', '06', '07', '08'].map((m) => `2026-05-01T12:${m}:00.000Z`),
      },
      {
        policy: 'catch_up',
        runs: [
          ...['03', '04', '05', '06', '07', '08', '09'].map(
            (m) => [`2026-05-01T12:${m}:00.000Z`, true] as [string, boolean],
          ),
          ['2026-05-01T12:10:00.000Z', false],
          ['2026-05-01T12:11:00.000Z', false],
          ['2026-05-01T12:12:00.000Z', false],
        ],
        skipped: [],
      },
    ];
    for (const { policy, runs, skipped } of table) {
      it(`applies misfire ${policy} to the runs missed while paused, at once`, async () => {
        const s = setup();
        const job = await everyMinute(s, { misfire: policy });
        s.clock.current = at('2026-05-01T12:02:30.000Z');
        await s.service.pauseJob('t', job.jobId);
        s.clock.current = at('2026-05-01T12:10:10.000Z');
        const resumed = await s.service.resumeJob('t', job.jobId);
        expect(resumed).toMatchObject({
          status: 'active',
          version: 3,
          nextRunAt: '2026-05-01T12:13:00.000Z',
        });
        expect(resumed.pausedAt).toBeUndefined();
        expect(resumed.enqueuedThrough).toBe('2026-05-01T12:12:00.000Z');
        expect(sentTimes(s)).toEqual(runs);
        expect(await skippedTimes(s, job.jobId)).toEqual(skipped);
      });
    }

    it('runs the latest missed run only when catch_up would exceed 100, recording the 100 before it', async () => {
      const s = setup();
      const job = await everyMinute(s, { misfire: 'catch_up' });
      s.clock.current = at('2026-05-01T12:02:30.000Z');
      await s.service.pauseJob('t', job.jobId);
      s.clock.current = at('2026-05-01T15:00:10.000Z');
      await s.service.resumeJob('t', job.jobId);
      const late = s.queue.sent.filter((r) => r.message.lateAccepted);
      expect(late.map((r) => r.message.scheduledAt)).toEqual(['2026-05-01T14:59:00.000Z']);
      const skipped = await s.executions.listByJob(job.jobId, { status: 'skipped' }, 1000);
      expect(skipped.items).toHaveLength(SKIPPED_RECORD_LIMIT);
      expect(skipped.items[0]?.reason).toMatch(/earlier runs were also missed/);
    });

    it('hands a run dropped while paused back to the queue when resumed within its grace', async () => {
      const s = setup();
      const job = await s.service.createJob(
        't',
        body({ schedule: { type: 'rate', everySeconds: 60 }, misfireGraceSeconds: 60 }),
      );
      const queued = s.queue.take();
      s.clock.current = at('2026-05-01T12:00:59.500Z');
      await s.service.pauseJob('t', job.jobId);
      s.clock.current = at('2026-05-01T12:01:00.000Z');
      expect(await s.executor.handle(queued[0]!.message)).toBe('dropped');
      s.clock.current = at('2026-05-01T12:01:20.000Z');
      await s.service.resumeJob('t', job.jobId);
      const again = s.queue.take();
      expect(again[0]?.message.scheduledAt).toBe('2026-05-01T12:01:00.000Z');
      expect(await s.executor.handle(again[0]!.message)).toBe('succeeded');
      expect(s.http.requests).toHaveLength(1);
    });

    it('leaves a job that is not paused as it is', async () => {
      const s = setup();
      const job = await everyMinute(s);
      expect(await s.service.resumeJob('t', job.jobId)).toEqual(job);
      expect(s.queue.sent).toEqual([]);
    });

    it('runs the owed run of a one-time job under its misfire policy', async () => {
      for (const [policy, expected] of [
        ['run_once', 'active'],
        ['skip', 'completed'],
      ] as const) {
        const s = setup();
        const job = await s.service.createJob(
          't',
          body({ schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' }, misfire: policy }),
        );
        await s.service.pauseJob('t', job.jobId);
        s.clock.current = at('2026-05-01T14:00:00.000Z');
        const resumed = await s.service.resumeJob('t', job.jobId);
        expect(resumed.status).toBe(expected);
        if (policy === 'skip') {
          expect(await skippedTimes(s, job.jobId)).toEqual(['2026-05-01T13:00:00.000Z']);
          expect(s.queue.sent).toEqual([]);
        } else {
          expect(sentTimes(s)).toEqual([['2026-05-01T13:00:00.000Z', true]]);
          expect(await s.executor.handle(s.queue.take()[0]!.message)).toBe('succeeded');
          expect((await s.jobs.getJob(job.jobId))?.status).toBe('completed');
        }
      }
    });

    it('completes a one-time job whose run finished while it was paused', async () => {
      const s = setup();
      const job = await s.service.createJob(
        't',
        body({ schedule: { type: 'once', at: '2026-05-01T12:00:05.000Z' } }),
      );
      const [run] = s.queue.take();
      s.clock.current = at('2026-05-01T12:00:05.000Z');
      // The run was claimed just before the pause and finishes while the job is paused.
      const handling = s.executor.handle(run!.message);
      await s.service.pauseJob('t', job.jobId);
      expect(await handling).toBe('succeeded');
      expect((await s.jobs.getJob(job.jobId))?.status).toBe('paused');
      const resumed = await s.service.resumeJob('t', job.jobId);
      expect(resumed.status).toBe('completed');
      expect(s.queue.sent).toEqual([]);
    });
  });
});

describe('lifecycle core', () => {
  const base = {
    schedule: { type: 'cron' as const, expression: '*/10 * * * *', timezone: 'UTC' },
    scheduleChangedAt: '2026-05-01T12:05:00.000Z',
  };

  it('tells runs of the current schedule from those queued for an old one', () => {
    const cases: [Pick<JobItem, 'schedule' | 'anchorAt' | 'scheduleChangedAt'>, string, boolean][] = [
      [base, '2026-05-01T12:04:00.000Z', true], // due before the change: the old schedule's, kept
      [base, '2026-05-01T12:06:00.000Z', false], // after the change, not a */10 run
      [base, '2026-05-01T12:10:00.000Z', true],
      [{ ...base, scheduleChangedAt: undefined }, '2026-05-01T12:06:00.000Z', true], // never changed
      [
        {
          schedule: { type: 'rate', everySeconds: 30 },
          anchorAt: '2026-05-01T12:05:30.000Z',
          scheduleChangedAt: '2026-05-01T12:05:00.000Z',
        },
        '2026-05-01T12:06:30.000Z',
        true,
      ],
      [
        {
          schedule: { type: 'rate', everySeconds: 30 },
          anchorAt: '2026-05-01T12:05:30.000Z',
          scheduleChangedAt: '2026-05-01T12:05:00.000Z',
        },
        '2026-05-01T12:06:00.001Z',
        false,
      ],
      [
        {
          schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' },
          scheduleChangedAt: base.scheduleChangedAt,
        },
        '2026-05-01T13:00:00.000Z',
        true,
      ],
      [
        {
          schedule: { type: 'once', at: '2026-05-01T11:00:00.000Z' },
          scheduleChangedAt: base.scheduleChangedAt,
        },
        '2026-05-01T12:05:00.000Z',
        true, // an instant already past when it was set runs at the change
      ],
      [
        {
          schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' },
          scheduleChangedAt: base.scheduleChangedAt,
        },
        '2026-05-01T12:30:00.000Z',
        false,
      ],
      [
        { schedule: { type: 'dependency' }, scheduleChangedAt: base.scheduleChangedAt },
        '2026-05-01T12:30:00.000Z',
        false,
      ],
    ];
    for (const [job, scheduledAt, expected] of cases) {
      expect(isRunOfCurrentSchedule(job, at(scheduledAt)), `${JSON.stringify(job)} @ ${scheduledAt}`).toBe(
        expected,
      );
    }
  });

  it('counts missed runs from the pause, with a look-back, or from a later schedule change', () => {
    const pausedAt = '2026-05-01T12:00:00.000Z';
    expect(missedSince({ pausedAt, updatedAt: pausedAt })).toBe(at(pausedAt) - RESUME_LOOKBACK_MS);
    expect(
      missedSince({ pausedAt, updatedAt: pausedAt, scheduleChangedAt: '2026-05-01T11:00:00.000Z' }),
    ).toBe(at(pausedAt) - RESUME_LOOKBACK_MS);
    expect(
      missedSince({ pausedAt, updatedAt: pausedAt, scheduleChangedAt: '2026-05-01T12:30:00.000Z' }),
    ).toBe(at('2026-05-01T12:30:00.000Z'));
  });

  it('applies a patch field by field, treating key order and equal values as no change', () => {
    const job = {
      jobId: 'job_x',
      name: 'a',
      retry: { maxAttempts: 3, backoff: 'exponential', initialDelaySeconds: 1 },
    } as unknown as JobItem;
    const { job: next, changed } = applyJobPatch(
      job,
      PatchJobBody.parse({ name: null, retry: { initialDelaySeconds: 1, maxAttempts: 3 } }),
    );
    expect(next.name).toBeUndefined();
    // The parsed retry carries its defaults, so it differs from the stored partial one.
    expect([...changed].sort()).toEqual(['name', 'retry']);
    expect(applyJobPatch(next, PatchJobBody.parse({ name: null })).changed.size).toBe(0);
  });

  it('lets PATCH reach every field a create sets', () => {
    expect(Object.keys(PatchJobBody.shape).sort()).toEqual(Object.keys(CreateJobBody.shape).sort());
  });
});
