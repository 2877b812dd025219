import { describe, expect, it } from 'vitest';
import { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../lambdas/services/jobs/job-service.js';
import { WatcherService } from '../../lambdas/services/watcher/watcher-service.js';
import { recoverLostRuns } from '../../local/recovery.js';
import { jobBody } from '../support/scheduler.js';
import { fakeDeps } from '../support/services.js';

const at = (s: string) => Date.parse(s);

describe('recoverLostRuns', () => {
  const NOW = at('2026-05-01T12:00:30.000Z');

  async function lostQueue(overrides: Record<string, unknown>) {
    const f = fakeDeps(NOW);
    const jobs = new JobService(f.deps);
    const job = await jobs.createJob('t', jobBody(overrides));
    const handed = f.queue.take(); // the queue is lost with the process
    return { ...f, job, handed, watch: new WatcherService(f.deps) };
  }

  it('sends again the runs the job handed to the lost queue, none from before the job existed', async () => {
    const s = await lostQueue({ schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' } });
    expect(s.handed.map((r) => r.message.scheduledAt)).toEqual([
      '2026-05-01T12:01:00.000Z',
      '2026-05-01T12:02:00.000Z',
    ]);
    s.clock.current = at('2026-05-01T12:01:30.000Z');
    const report = await recoverLostRuns(s.deps, s.watch);
    expect(report.scheduledResent).toBe(2);
    expect(s.queue.take().map((r) => r.message.scheduledAt)).toEqual(
      s.handed.map((r) => r.message.scheduledAt),
    );
  });

  it('does not resend a run that has a record', async () => {
    const s = await lostQueue({ schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' } });
    s.clock.current = at('2026-05-01T12:01:00.000Z');
    await new ExecutorService(s.deps, 'exec').handle(s.handed[0]!.message);
    expect((await recoverLostRuns(s.deps, s.watch)).scheduledResent).toBe(1);
    expect(s.queue.take().map((r) => r.message.scheduledAt)).toEqual(['2026-05-01T12:02:00.000Z']);
  });

  it('sends again a run an executor of the dead process had claimed (no index holds it, only its lost message)', async () => {
    const s = await lostQueue({ schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' } });
    s.clock.current = at('2026-05-01T12:01:00.000Z');
    s.http.answer = () => new Promise(() => {}); // the call was under way when the process died
    void new ExecutorService(s.deps, 'dead').handle(s.handed[0]!.message);
    await new Promise((r) => setImmediate(r));
    expect((await s.executions.getExecution(s.handed[0]!.message.executionId))?.status).toBe('running');
    expect((await recoverLostRuns(s.deps, s.watch)).scheduledResent).toBe(2);
    const resent = s.queue.take().map((r) => r.message);
    expect(resent.map((m) => [m.scheduledAt, m.attempt])).toEqual([
      ['2026-05-01T12:02:00.000Z', 1],
      ['2026-05-01T12:01:00.000Z', 1],
    ]);
    // The next process's claim records the lost attempt once the lease ends, and retries.
    const lease = (await s.executions.getExecution(s.handed[0]!.message.executionId))!.lease!;
    s.clock.current = lease.until + 1;
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    const next = new ExecutorService(s.deps, 'next');
    expect(await next.handle(resent[1]!)).toBe('dropped');
    const [retry] = s.queue.take();
    expect(await next.handle(retry!.message)).toBe('succeeded');
  });

  it('keeps catch_up to its bound: past 100 missed runs only the latest is sent again', async () => {
    const s = await lostQueue({ schedule: { type: 'rate', everySeconds: 1 }, misfire: 'catch_up' });
    expect(s.handed).toHaveLength(120);
    s.clock.current = at('2026-05-01T12:10:00.000Z');
    await recoverLostRuns(s.deps, s.watch);
    expect(s.queue.take().map((r) => r.message.scheduledAt)).toEqual([s.handed.at(-1)!.message.scheduledAt]);
  });

  it('with queue-ahead, sends again every queued run not yet run: the last top-up and what the one before left', async () => {
    const f = fakeDeps(NOW);
    f.deps.settings.queueAheadSeconds = 900;
    const job = await new JobService(f.deps).createJob(
      't',
      jobBody({ schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' } }),
    );
    const watch = new WatcherService(f.deps);
    const executor = new ExecutorService(f.deps, 'exec');
    const created = f.queue.take(); // 12:01 … 12:15
    for (const run of created.filter((r) => r.message.scheduledAt <= '2026-05-01T12:13:00.000Z')) {
      f.clock.current = at(run.message.scheduledAt);
      await executor.handle(run.message);
    }
    f.clock.current = at('2026-05-01T12:14:00.000Z');
    expect((await watch.watchShard(job.shard)).runsEnqueued).toBe(14); // the top-up: 12:16 … 12:29
    f.queue.take(); // lost with the process, as are 12:14 and 12:15
    f.clock.current = at('2026-05-01T12:14:10.000Z');
    await recoverLostRuns(f.deps, watch);
    const minutes = Array.from(
      { length: 16 },
      (_, i) => new Date(at('2026-05-01T12:14:00.000Z') + i * 60_000),
    );
    expect(f.queue.take().map((r) => r.message.scheduledAt)).toEqual(minutes.map((m) => m.toISOString()));
  });
});
