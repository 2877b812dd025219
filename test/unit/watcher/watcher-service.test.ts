import { describe, expect, it } from 'vitest';
import { jobBody, setup } from '../../support/scheduler.js';

const NOW = Date.parse('2026-05-01T12:00:00.200Z');

describe('WatcherService', () => {
  it('sends due runs first, then advances; a crash in between only causes a duplicate the claim absorbs', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'rate', everySeconds: 60, startAt: '2026-05-01T12:05:00.000Z' } }),
    );
    expect(job.nextRunAt).toBe('2026-05-01T12:05:00.000Z');
    s.clock.current = Date.parse('2026-05-01T12:04:00.000Z');
    s.jobs.beforeWrite = (op) => {
      if (op === 'advanceJob') throw new Error('crash between send and advance');
    };
    await s.watcher.watchShard(job.shard);
    const firstTick = s.queue.take();
    expect(firstTick.map((r) => r.message.scheduledAt)).toEqual([
      '2026-05-01T12:05:00.000Z',
      '2026-05-01T12:06:00.000Z',
    ]);
    s.jobs.beforeWrite = () => {};
    await s.watcher.watchShard(job.shard);
    const secondTick = s.queue.take();
    expect(secondTick.map((r) => r.message.executionId)).toEqual(firstTick.map((r) => r.message.executionId));
    for (const run of [...firstTick, ...secondTick]) await s.executor.handle(run.message);
    expect(s.http.requests).toHaveLength(2);
    expect((await s.jobs.getJob(job.jobId))?.nextRunAt).toBe('2026-05-01T12:07:00.000Z');
  });

  it('applies the misfire policy after downtime and records skipped runs', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({
        schedule: { type: 'rate', everySeconds: 60, startAt: '2026-05-01T12:05:00.000Z' },
        misfire: 'skip',
      }),
    );
    s.clock.current = Date.parse('2026-05-01T12:10:30.000Z');
    const report = await s.watcher.watchShard(job.shard);
    expect(report.skippedRecorded).toBe(5);
    expect(s.queue.take().map((r) => r.message.scheduledAt)).toEqual([
      '2026-05-01T12:10:00.000Z',
      '2026-05-01T12:11:00.000Z',
      '2026-05-01T12:12:00.000Z',
    ]);
    const history = await s.executions.listByJob(job.jobId, { status: 'skipped' }, 10);
    expect(history.items).toHaveLength(5);
  });

  it('finds jobs left in older hour buckets after hours of downtime', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'rate', everySeconds: 3600, startAt: '2026-05-01T12:30:00.000Z' } }),
    );
    await s.watcher.watchShard(job.shard); // sets the watermark at 12:00
    s.clock.current = Date.parse('2026-05-01T17:45:00.000Z');
    await s.watcher.watchShard(job.shard);
    const sent = s.queue.take();
    expect(sent.map((r) => [r.message.scheduledAt, r.message.lateAccepted ?? false])).toEqual([
      ['2026-05-01T17:30:00.000Z', true],
    ]);
    expect(await s.jobs.getWatermark(job.shard)).toBe('2026-05-01T17');
  });

  it('re-sends a manual run whose message was lost, once its slack has passed', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-06-01T00:00:00.000Z' } }),
    );
    await s.jobService.triggerJob('t', job.jobId);
    s.queue.take(); // lost
    expect(await s.watcher.reapPending(job.shard, s.clock.now())).toBe(0);
    s.clock.advance(3 * 60_000);
    expect(await s.watcher.reapPending(job.shard, s.clock.now())).toBe(1);
    const [resent] = s.queue.take();
    expect(await s.executor.handle(resent!.message)).toBe('succeeded');
    expect(await s.watcher.reapPending(job.shard, s.clock.now() + 10 * 60_000)).toBe(0);
  });

  it('re-sends the lost runs of a page of pending executions in one send, whatever their job', async () => {
    const s = setup({ now: NOW });
    s.deps.settings.shards = 1;
    const far = { type: 'once', at: '2026-06-01T00:00:00.000Z' } as const;
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await s.jobService.createJob('t', jobBody({ schedule: far })));
    for (const job of jobs) await s.jobService.triggerJob('t', job.jobId);
    s.queue.take(); // lost
    s.clock.advance(3 * 60_000);
    s.queue.sendCalls = 0;
    expect(await s.watcher.reapPending(0, s.clock.now())).toBe(3);
    expect(s.queue.sendCalls).toBe(1);
    expect(new Set(s.queue.take().map((r) => r.message.jobId))).toEqual(new Set(jobs.map((j) => j.jobId)));
  });
});
