import { describe, expect, it } from 'vitest';
import { InvalidSchedule, InvalidState, VersionConflict } from '../../lambdas/core/errors.js';
import {
  applyJobPatch,
  isRunOfCurrentPlan,
  missedSince,
  RESUME_LOOKBACK_MS,
  withNewPlan,
} from '../../lambdas/core/lifecycle.js';
import { SKIPPED_RECORD_LIMIT } from '../../lambdas/core/misfire.js';
import { withExecutionListeners } from '../../lambdas/services/execution-listeners.js';
import { CreateJobBody, type MisfirePolicy, PatchJobBody } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { JobRecord } from '../../schemas/records.js';
import { jobBody, type Scheduler, setup } from '../support/scheduler.js';

const at = (s: string) => Date.parse(s);

type Setup = Scheduler;

const patchOf = (value: Record<string, unknown>) => PatchJobBody.parse(value);

/** A job running every minute from 12:01 (its first two runs are sent at create, the look-ahead being 2 min). */
async function everyMinute(s: Setup, overrides: Record<string, unknown> = {}) {
  const job = await s.jobService.createJob(
    't',
    jobBody({ schedule: { type: 'rate', everySeconds: 60 }, misfireGraceSeconds: 30, ...overrides }),
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
      const patched = await s.jobService.patchJob(
        't',
        job.jobId,
        patchOf({ name: 'new', timeoutSeconds: 5, retry: { maxAttempts: 1 }, concurrency: null }),
      );
      expect(patched).toMatchObject({ name: 'new', timeoutSeconds: 5, version: 2 });
      expect(patched.retry).toMatchObject({ maxAttempts: 1, backoff: 'exponential' });
      expect(patched.concurrency).toBeUndefined();
      // The schedule did not change: the job keeps its place on the due index.
      expect(patched.nextRunAt).toBe(job.nextRunAt);
      expect(s.jobs.dueHourOf(job.jobId)).toBe('2026-05-01T12');
      expect(patched.enqueuedThrough).toBe(job.enqueuedThrough);
      expect(await s.jobs.getJob(job.jobId)).toEqual(patched);
      expect(s.queue.sent).toEqual([]);
    });

    it('changes nothing, not even the version, when every field given has its current value', async () => {
      const s = setup();
      const job = await everyMinute(s, { name: 'same' });
      const patched = await s.jobService.patchJob(
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
      const dueHourBefore = s.jobs.dueHourOf(job.jobId);
      s.clock.current = at('2026-05-01T12:00:30.000Z');
      const writes: string[] = [];
      s.jobs.beforeWrite = (operation) => writes.push(operation);
      const patched = await s.jobService.patchJob(
        't',
        job.jobId,
        patchOf({ schedule: { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' } }),
      );
      // One write, conditioned on the version and nextRunAt it read, moves the job between buckets.
      expect(writes).toEqual(['replaceJob']);
      expect(dueHourBefore).toBe('2026-05-01T12');
      expect(patched).toMatchObject({
        version: 2,
        nextRunAt: '2026-05-01T15:00:00.000Z',
        scheduleChangedAt: '2026-05-01T12:00:30.000Z',
      });
      expect(s.jobs.dueHourOf(job.jobId)).toBe('2026-05-01T15');
      expect(patched.enqueuedThrough).toBeUndefined();
      expect(patched.anchorAt).toBeUndefined();
      expect(s.queue.sent).toEqual([]);
      // The runs the old schedule had already queued (12:01, 12:02) belong to the old plan.
      expect(patched.planRev).toBe(1);
    });

    it('sends the first runs of a new schedule inside the look-ahead at once, anchored at the change', async () => {
      const s = setup();
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' } }),
      );
      s.clock.current = at('2026-05-01T12:00:00.500Z');
      const patched = await s.jobService.patchJob(
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
      await s.jobService.patchJob('t', job.jobId, patchOf({ schedule: { type: 'rate', everySeconds: 20 } }));
      const stored = await s.jobs.getJob(job.jobId);
      expect(stored?.nextRunAt).toBe('2026-05-01T12:00:20.000Z');
      expect(stored?.enqueuedThrough).toBeUndefined();
      const report = await s.watcher.watchShard(stored!.shard);
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
      const patched = await s.jobService.patchJob('t', job.jobId, patchOf({ priority: 'high' }));
      expect(raced).toBe(true);
      expect(patched).toMatchObject({ priority: 'high', version: 2, nextRunAt: '2026-05-01T12:04:00.000Z' });
    });

    it('honours If-Match: another version is a VersionConflict that writes nothing', async () => {
      const s = setup();
      const job = await everyMinute(s);
      await expect(
        s.jobService.patchJob('t', job.jobId, patchOf({ name: 'x' }), { versions: [7] }),
      ).rejects.toBeInstanceOf(VersionConflict);
      expect(await s.jobs.getJob(job.jobId)).toEqual(job);
      const ok = await s.jobService.patchJob('t', job.jobId, patchOf({ name: 'x' }), { versions: [1] });
      expect(ok.version).toBe(2);
      const any = await s.jobService.patchJob('t', job.jobId, patchOf({ name: 'y' }), { any: true });
      expect(any.version).toBe(3);
    });

    it('refuses to change a cancelled, completed or failed job and writes nothing', async () => {
      const s = setup();
      const job = await everyMinute(s);
      const cancelled = await s.jobService.cancelJob('t', job.jobId);
      await expect(s.jobService.patchJob('t', job.jobId, patchOf({ name: 'x' }))).rejects.toBeInstanceOf(
        InvalidState,
      );
      for (const status of ['completed', 'failed'] as const) {
        const other = await everyMinute(s);
        const finished = { ...(await s.jobs.getJob(other.jobId))!, status };
        s.jobs.items.set(other.jobId, finished);
        await expect(s.jobService.patchJob('t', other.jobId, patchOf({ name: 'x' }))).rejects.toThrow(
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
        s.jobService.patchJob(
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
      await s.jobService.pauseJob('t', job.jobId);
      s.clock.current = at('2026-05-01T12:10:30.000Z');
      const patched = await s.jobService.patchJob(
        't',
        job.jobId,
        patchOf({ schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } }),
      );
      expect(patched).toMatchObject({ status: 'paused', scheduleChangedAt: '2026-05-01T12:10:30.000Z' });
      expect(patched.nextRunAt).toBeUndefined();
      s.clock.current = at('2026-05-01T12:21:00.000Z');
      const resumed = await s.jobService.resumeJob('t', job.jobId);
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
      await s.jobService.patchJob('t', job.jobId, patchOf({ dependsOn: [upstream.jobId] }));
      expect(await s.jobs.getDependents(upstream.jobId)).toEqual([job.jobId]);
      await s.jobService.patchJob('t', job.jobId, patchOf({ dependsOn: [] }));
      expect(await s.jobs.getDependents(upstream.jobId)).toEqual([]);
    });
  });

  describe('pauseJob', () => {
    it('takes the job off the due index; pausing again changes nothing', async () => {
      const s = setup();
      const job = await everyMinute(s);
      s.clock.current = at('2026-05-01T12:00:10.000Z');
      const paused = await s.jobService.pauseJob('t', job.jobId);
      expect(paused).toMatchObject({ status: 'paused', pausedAt: '2026-05-01T12:00:10.000Z', version: 2 });
      expect(paused.nextRunAt).toBeUndefined();
      expect(s.jobs.dueHourOf(job.jobId)).toBeNull();
      const again = await s.jobService.pauseJob('t', job.jobId);
      expect(again).toEqual(paused);
      s.clock.current = at('2026-05-01T12:30:00.000Z');
      const report = await s.watcher.watchShard(job.shard);
      expect(report.dueJobs).toBe(0);
      expect(s.queue.sent).toEqual([]);
    });

    it('refuses a cancelled job', async () => {
      const s = setup();
      const job = await everyMinute(s);
      await s.jobService.cancelJob('t', job.jobId);
      await expect(s.jobService.pauseJob('t', job.jobId)).rejects.toBeInstanceOf(InvalidState);
      await expect(s.jobService.resumeJob('t', job.jobId)).rejects.toBeInstanceOf(InvalidState);
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
        await s.jobService.pauseJob('t', job.jobId);
        s.clock.current = at('2026-05-01T12:10:10.000Z');
        const resumed = await s.jobService.resumeJob('t', job.jobId);
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
      await s.jobService.pauseJob('t', job.jobId);
      s.clock.current = at('2026-05-01T15:00:10.000Z');
      await s.jobService.resumeJob('t', job.jobId);
      const late = s.queue.sent.filter((r) => r.message.lateAccepted);
      expect(late.map((r) => r.message.scheduledAt)).toEqual(['2026-05-01T14:59:00.000Z']);
      const skipped = await s.executions.listByJob(job.jobId, { status: 'skipped' }, 1000);
      expect(skipped.items).toHaveLength(SKIPPED_RECORD_LIMIT);
      expect(skipped.items[0]?.reason).toMatch(/earlier runs were also missed/);
    });

    it('hands a run dropped while paused back to the queue when resumed within its grace', async () => {
      const s = setup();
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'rate', everySeconds: 60 }, misfireGraceSeconds: 60 }),
      );
      const queued = s.queue.take();
      s.clock.current = at('2026-05-01T12:00:59.500Z');
      await s.jobService.pauseJob('t', job.jobId);
      s.clock.current = at('2026-05-01T12:01:00.000Z');
      expect(await s.executor.handle(queued[0]!.message)).toBe('dropped');
      s.clock.current = at('2026-05-01T12:01:20.000Z');
      await s.jobService.resumeJob('t', job.jobId);
      const again = s.queue.take();
      expect(again[0]?.message.scheduledAt).toBe('2026-05-01T12:01:00.000Z');
      expect(await s.executor.handle(again[0]!.message)).toBe('succeeded');
      expect(s.http.requests).toHaveLength(1);
    });

    it('leaves a job that is not paused as it is', async () => {
      const s = setup();
      const job = await everyMinute(s);
      expect(await s.jobService.resumeJob('t', job.jobId)).toEqual(job);
      expect(s.queue.sent).toEqual([]);
    });

    it('runs the owed run of a one-time job under its misfire policy', async () => {
      for (const [policy, expected] of [
        ['run_once', 'active'],
        ['skip', 'completed'],
      ] as const) {
        const s = setup();
        const job = await s.jobService.createJob(
          't',
          jobBody({ schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' }, misfire: policy }),
        );
        await s.jobService.pauseJob('t', job.jobId);
        s.clock.current = at('2026-05-01T14:00:00.000Z');
        const resumed = await s.jobService.resumeJob('t', job.jobId);
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
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:05.000Z' } }),
      );
      const [run] = s.queue.take();
      s.clock.current = at('2026-05-01T12:00:05.000Z');
      // The run was claimed just before the pause and finishes while the job is paused.
      const handling = s.executor.handle(run!.message);
      await s.jobService.pauseJob('t', job.jobId);
      expect(await handling).toBe('succeeded');
      expect((await s.jobs.getJob(job.jobId))?.status).toBe('paused');
      const resumed = await s.jobService.resumeJob('t', job.jobId);
      expect(resumed.status).toBe('completed');
      expect(s.queue.sent).toEqual([]);
    });
  });
});

describe('ExecuteService: runs of a superseded plan', () => {
  /** Delivers each message at its scheduled time, in order; returns `<scheduledAt> <outcome>` for each. */
  async function deliver(s: Setup, runs: ReturnType<Setup['queue']['take']>) {
    const outcomes: string[] = [];
    for (const { message } of runs) {
      s.clock.current = Math.max(s.clock.current, at(message.scheduledAt));
      outcomes.push(`${message.scheduledAt} ${await s.executor.handle(message)}`);
    }
    return outcomes;
  }
  const outcomesOnly = (lines: string[]) => lines.map((line) => line.split(' ')[1]);

  it('drops, and records nothing for, runs queued before a schedule change', async () => {
    const s = setup();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 60 } }));
    const old = s.queue.take(); // 12:01 and 12:02, sent at create
    s.clock.current = at('2026-05-01T12:00:30.000Z');
    await s.jobService.patchJob(
      't',
      job.jobId,
      patchOf({ schedule: { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' } }),
    );
    expect(await deliver(s, old)).toEqual([
      '2026-05-01T12:01:00.000Z dropped',
      '2026-05-01T12:02:00.000Z dropped',
    ]);
    expect(s.http.requests).toHaveLength(0);
    expect((await s.executions.listByJob(job.jobId, {}, 10)).items).toEqual([]);
  });

  it('drops the old instant of a once-job whose `at` moved, and runs the new one once', async () => {
    const s = setup();
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:08.000Z' } }),
    );
    const old = s.queue.take();
    await s.jobService.patchJob(
      't',
      job.jobId,
      patchOf({ schedule: { type: 'once', at: '2026-05-01T12:00:16.000Z' } }),
    );
    const moved = s.queue.take();
    expect(await deliver(s, [...old, ...moved])).toEqual([
      '2026-05-01T12:00:08.000Z dropped',
      '2026-05-01T12:00:16.000Z succeeded',
    ]);
    expect(s.http.requests).toHaveLength(1);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('drops runs of the old plan when only the timezone or the window changed, even at the same instants', async () => {
    const s = setup();
    const hourly = { type: 'cron', expression: '*/1 * * * *', timezone: 'UTC' };
    const job = await s.jobService.createJob('t', jobBody({ schedule: hourly }));
    const old = s.queue.take();
    // New York is a whole number of hours from UTC: the new plan has the very same instants.
    await s.jobService.patchJob(
      't',
      job.jobId,
      patchOf({ schedule: { ...hourly, timezone: 'America/New_York' } }),
    );
    const replanned = s.queue.take();
    expect(replanned.map((r) => r.message.scheduledAt)).toEqual(old.map((r) => r.message.scheduledAt));
    expect(outcomesOnly(await deliver(s, [...old, ...replanned]))).toEqual([
      ...old.map(() => 'dropped'),
      ...replanned.map(() => 'succeeded'),
    ]);
    expect(s.http.requests).toHaveLength(replanned.length);

    const windowed = await s.jobService.createJob('t', jobBody({ schedule: hourly }));
    const queued = s.queue.take();
    await s.jobService.patchJob(
      't',
      windowed.jobId,
      patchOf({ schedule: { ...hourly, endAt: '2026-05-01T12:30:00.000Z' } }),
    );
    s.queue.take();
    expect(outcomesOnly(await deliver(s, queued))).toEqual(queued.map(() => 'dropped'));
  });

  it('keeps runs queued before a change of anything but the schedule (a name, the target, the version)', async () => {
    const s = setup();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 60 } }));
    const queued = s.queue.take();
    await s.jobService.patchJob('t', job.jobId, patchOf({ name: 'renamed', timeoutSeconds: 7 }));
    await s.jobService.patchJob('t', job.jobId, patchOf({ target: { url: 'https://example.com/other' } }));
    expect((await s.jobs.getJob(job.jobId))?.version).toBe(3);
    expect(outcomesOnly(await deliver(s, queued))).toEqual(['succeeded', 'succeeded']);
    expect(s.http.requests.map((r) => r.url)).toEqual([
      'https://example.com/other',
      'https://example.com/other',
    ]);
  });

  it('drops runs queued before a pause even after the resume, which sends its own', async () => {
    const s = setup();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 60 } }));
    const beforePause = s.queue.take();
    s.clock.current = at('2026-05-01T12:00:10.000Z');
    await s.jobService.pauseJob('t', job.jobId);
    s.clock.current = at('2026-05-01T12:00:20.000Z');
    await s.jobService.resumeJob('t', job.jobId);
    const afterResume = s.queue.take();
    expect(afterResume.map((r) => r.message.scheduledAt)).toEqual(
      beforePause.map((r) => r.message.scheduledAt),
    );
    expect(outcomesOnly(await deliver(s, [...beforePause, ...afterResume]))).toEqual([
      'dropped',
      'dropped',
      'succeeded',
      'succeeded',
    ]);
    expect(s.http.requests).toHaveLength(2);
  });

  it('lets manual triggers, retries, replays and dependency runs through a schedule change', async () => {
    const s = setup();
    withExecutionListeners(s.deps);
    s.http.answer = () => ({ kind: 'response', statusCode: 503, body: '', durationMs: 1 });
    const upstream = await s.jobService.createJob('t', jobBody({ schedule: { type: 'immediate' } }));
    const job = await s.jobService.createJob(
      't',
      jobBody({
        schedule: { type: 'rate', everySeconds: 60 },
        dependsOn: [upstream.jobId],
        retry: { maxAttempts: 2, initialDelaySeconds: 1, jitter: 'none' },
      }),
    );
    const manual = await s.jobService.triggerJob('t', job.jobId);
    const [up, first, second, triggered] = s.queue.take();
    expect(triggered!.message.trigger).toBe('manual');
    // The 12:01 run fails once: its retry is queued as attempt 2.
    s.clock.current = at(first!.message.scheduledAt);
    expect(await s.executor.handle(first!.message)).toBe('retrying');
    const [retry] = s.queue.take();
    expect(retry!.message.attempt).toBe(2);

    await s.jobService.patchJob('t', job.jobId, patchOf({ schedule: { type: 'rate', everySeconds: 3600 } }));
    s.queue.take();
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.executor.handle(second!.message)).toBe('dropped');
    expect(await s.executor.handle(triggered!.message)).toBe('succeeded');
    s.clock.current = at(retry!.message.scheduledAt) + 2000;
    expect(await s.executor.handle(retry!.message)).toBe('succeeded');
    expect((await s.executions.getExecution(manual.executionId))?.status).toBe('succeeded');

    // The upstream's success queues a dependency run of the job, which runs too.
    expect(await s.executor.handle(up!.message)).toBe('succeeded');
    const [dependency] = s.queue.take();
    expect(dependency!.message.trigger).toBe('dependency');
    expect(await s.executor.handle(dependency!.message)).toBe('succeeded');
  });

  it('lets a replayed dead letter run after a schedule change', async () => {
    const s = setup();
    s.http.answer = () => ({ kind: 'response', statusCode: 503, body: '', durationMs: 1 });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'rate', everySeconds: 60 }, retry: { maxAttempts: 1 } }),
    );
    const [first] = s.queue.take();
    s.clock.current = at(first!.message.scheduledAt);
    expect(await s.executor.handle(first!.message)).toBe('failed');
    const dead = {
      ...(await s.executions.getExecution(first!.message.executionId))!,
      status: 'dead' as const,
    };
    s.executions.items.set(dead.executionId, dead);
    await s.jobService.patchJob('t', job.jobId, patchOf({ schedule: { type: 'rate', everySeconds: 3600 } }));
    s.queue.take();
    await s.executionService.replayDeadLetter('t', dead.executionId);
    const [replay] = s.queue.take();
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.executor.handle(replay!.message)).toBe('succeeded');
  });
});

describe('lifecycle core', () => {
  it('tells a run of the current plan from one queued under an older plan', () => {
    const cases: [number | undefined, Partial<RunMessage>, boolean][] = [
      [undefined, { trigger: 'schedule', attempt: 1 }, true], // neither knows revisions: both 0
      [undefined, { trigger: 'schedule', attempt: 1, plan: 0 }, true],
      [2, { trigger: 'schedule', attempt: 1, plan: 2 }, true],
      [2, { trigger: 'schedule', attempt: 1, plan: 1 }, false],
      [1, { trigger: 'schedule', attempt: 1 }, false], // sent before revisions, planned before the change
      [2, { trigger: 'schedule', attempt: 2, plan: 1 }, true], // a retry: the run was under way
      [2, { trigger: 'manual', attempt: 1, plan: 1 }, true],
      [2, { trigger: 'replay', attempt: 3, plan: 1 }, true],
      [2, { trigger: 'dependency', attempt: 1, plan: 1 }, true],
    ];
    for (const [planRev, message, expected] of cases) {
      const job = planRev === undefined ? {} : { planRev };
      expect(
        isRunOfCurrentPlan(job, message as RunMessage),
        `${JSON.stringify(job)} ${JSON.stringify(message)}`,
      ).toBe(expected);
    }
    expect(withNewPlan<{ planRev?: number }>({}).planRev).toBe(1);
    expect(withNewPlan({ planRev: 4 }).planRev).toBe(5);
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
    } as unknown as JobRecord;
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
