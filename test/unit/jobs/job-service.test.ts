import { describe, expect, it } from 'vitest';
import { InvalidSchedule, InvalidState, VersionConflict } from '../../../lambdas/core/errors.js';
import { CANCEL_POLL_MS } from '../../../lambdas/services/executor/executor-service.js';
import { everyMinute, jobBody, patchOf, setup, skippedTimes, until } from '../../support/scheduler.js';

const at = (s: string) => Date.parse(s);
const NOW = Date.parse('2026-05-01T12:00:00.200Z');
describe('JobService', () => {
  describe('createJob', () => {
    it('stores a far-off job on the due index without sending anything', async () => {
      const s = setup({ now: NOW });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' } }),
      );
      expect(job.nextRunAt).toBe('2026-05-01T13:00:00.000Z');
      expect(s.jobs.dueHourOf(job.jobId)).toBe('2026-05-01T13');
      expect(s.queue.sent).toEqual([]);
    });

    it('sends a run inside the look-ahead at once and stores the job already advanced', async () => {
      const s = setup({ now: NOW });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:03.000Z' } }),
      );
      expect(job.nextRunAt).toBeUndefined();
      expect(job.enqueuedThrough).toBe('2026-05-01T12:00:03.000Z');
      expect(s.queue.sent).toHaveLength(1);
      expect(s.queue.sent[0]).toMatchObject({
        delaySeconds: 2,
        priority: 'normal',
        message: { trigger: 'schedule', attempt: 1 },
      });
    });

    it('puts the job back on the due index when the fast-path send fails', async () => {
      const s = setup({ now: NOW });
      s.queue.failNext = 1;
      const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'immediate' } }));
      const stored = await s.jobs.getJob(job.jobId);
      expect(stored?.nextRunAt).toBe('2026-05-01T12:00:00.200Z');
      expect(stored?.enqueuedThrough).toBeUndefined();
      const report = await s.watcher.watchShard(stored!.shard);
      expect(report.runsEnqueued).toBe(1);
      expect(s.queue.sent).toHaveLength(1);
    });
  });

  describe('cancelJob', () => {
    it('asks a scheduled run in flight to stop: its executor aborts the call and records it cancelled', async () => {
      const s = setup({ now: NOW });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' } }),
      );
      const [run] = s.queue.take();
      s.clock.current = Date.parse(run!.message.scheduledAt);
      s.http.answer = (request) =>
        new Promise((resolve) => {
          request.signal?.addEventListener('abort', () =>
            resolve({ kind: 'error', error: 'aborted', timedOut: false, aborted: true, durationMs: 1 }),
          );
          void s.jobService.cancelJob('t', job.jobId);
        });
      const call = s.executor.handle(run!.message);
      await until(() => s.executions.items.get(run!.message.executionId)?.cancelRequestedAt !== undefined);
      s.clock.advance(CANCEL_POLL_MS);
      expect(await call).toBe('cancelled');
    });
  });

  describe('triggerJob', () => {
    it('records a queued manual execution and sends it with no delay', async () => {
      const s = setup({ now: NOW });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'once', at: '2026-06-01T00:00:00.000Z' } }),
      );
      const execution = await s.jobService.triggerJob('t', job.jobId);
      expect(execution).toMatchObject({
        status: 'queued',
        trigger: 'manual',
        scheduledAt: '2026-05-01T12:00:00.200Z',
      });
      const second = await s.jobService.triggerJob('t', job.jobId);
      expect(second.executionId).not.toBe(execution.executionId);
      expect(s.queue.sent.map((r) => r.delaySeconds)).toEqual([0, 0]);
      await expect(s.jobService.triggerJob('other', job.jobId)).rejects.toThrow(/not found/);
    });

    it('never takes the id of a scheduled run: a trigger at a run instant moves to the next free millisecond', async () => {
      const s = setup({ now: at('2026-05-01T11:59:30.000Z') });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'cron', expression: '0 12 * * *', timezone: 'UTC' } }),
      );
      const [run] = s.queue.take();
      s.clock.advance(30_000);
      const manual = await s.jobService.triggerJob('t', job.jobId);
      expect(manual.scheduledAt).toBe('2026-05-01T12:00:00.001Z');
      expect(s.queue.take().map((r) => r.message.trigger)).toEqual(['manual']);
      // The scheduled run of 12:00 (no record until its claim) still gets its own execution.
      expect(run?.message.executionId).toBe(`${job.jobId}:2026-05-01T12:00:00.000Z`);
      expect(await s.executor.handle(run!.message)).toBe('succeeded');
      expect((await s.executions.getExecution(manual.executionId))?.status).toBe('queued');
    });
  });

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
});
