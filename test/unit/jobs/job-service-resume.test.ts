import { describe, expect, it } from 'vitest';
import { SKIPPED_RECORD_LIMIT } from '../../../lambdas/core/misfire.js';
import type { MisfirePolicy } from '../../../schemas/job.js';
import { everyMinute, jobBody, sentTimes, setup, skippedTimes } from '../../support/scheduler.js';

const at = (s: string) => Date.parse(s);
describe('JobService', () => {
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
