import { describe, expect, it } from 'vitest';
import { QUEUE_AHEAD_RUNS } from '../../../lambdas/core/misfire.js';
import type { DueIndex, DueJob } from '../../../lambdas/core/ports/due-index.js';
import type { OutgoingRun } from '../../../lambdas/core/ports/run-queue.js';
import { jobBody, type Scheduler, setup } from '../../support/scheduler.js';

const NOW = Date.parse('2026-05-01T12:00:00.200Z');
const MIN = 60_000;
const everyMinute = { type: 'cron', expression: '* * * * *', timezone: 'UTC' } as const;
/** A minute rate starting at 12:10, beyond the create's look-ahead: the watcher plans its runs. */
const fromTen = { type: 'rate', everySeconds: 60, startAt: '2026-05-01T12:10:00.000Z' } as const;
/** Tick time: 12:10 is within the look-ahead, 12:23 the last run within 900 s. */
const TICK = Date.parse('2026-05-01T12:08:30.000Z');

/** The runtime's setting: runs queued up to 900 s ahead. */
function queueAhead(): Scheduler {
  const s = setup({ now: NOW });
  s.deps.settings.queueAheadSeconds = 900;
  return s;
}

/** Each run delivered at its own time, as SQS would hand it over; the outcome of each. */
async function deliverAtTheirTime(s: Scheduler, runs: OutgoingRun[]): Promise<string[]> {
  const outcomes: string[] = [];
  for (const run of [...runs].sort((a, b) => (a.message.scheduledAt < b.message.scheduledAt ? -1 : 1))) {
    s.clock.current = Math.max(s.clock.current, Date.parse(run.message.scheduledAt));
    outcomes.push(`${run.message.scheduledAt}:${await s.executor.handle(run.message)}`);
  }
  return outcomes;
}

/** Counts the Jobs table's writes by operation. */
function countWrites(s: Scheduler): Map<string, number> {
  const writes = new Map<string, number>();
  s.jobs.beforeWrite = (op) => writes.set(op, (writes.get(op) ?? 0) + 1);
  return writes;
}

describe('queue-ahead: the watcher queues a job runs up to 15 minutes ahead', () => {
  it('a minute cron is advanced once per top-up, and the ticks in between send and write nothing', async () => {
    const s = queueAhead();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { ...everyMinute } }));
    // Created within the look-ahead: the create itself queued 12:01 … 12:15.
    const created = s.queue.take();
    expect(created).toHaveLength(15);
    expect(created.every((r) => r.delaySeconds <= 900)).toBe(true);
    const writes = countWrites(s);
    let runs = 0;
    let ticks = 0;
    for (let minute = 1; minute <= 60; minute++) {
      s.clock.current = NOW + minute * MIN;
      const report = await s.watcher.watchShard(job.shard);
      runs += report.runsEnqueued;
      ticks += report.dueJobs;
    }
    const sent = s.queue.take();
    expect(sent.map((r) => r.message.scheduledAt)).toEqual(
      Array.from({ length: runs }, (_, i) =>
        new Date(Date.parse('2026-05-01T12:16:00.000Z') + i * MIN).toISOString(),
      ),
    );
    // An hour of a minute cron: four top-ups, one advance each, about fifteen runs per advance.
    expect(ticks).toBe(4);
    expect(writes.get('advanceJob')).toBe(4);
    expect(runs / ticks).toBeGreaterThanOrEqual(13);
    expect(Math.max(...sent.map((r) => r.delaySeconds))).toBeLessThanOrEqual(900);
  });

  it('the API shows the next run, not how far the runs were queued', async () => {
    const s = queueAhead();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { ...everyMinute } }));
    expect(job.nextRunAt).toBe('2026-05-01T12:16:00.000Z'); // where the watcher resumes
    s.clock.current = Date.parse('2026-05-01T12:03:30.000Z');
    expect((await s.queries.view((await s.jobs.getJob(job.jobId))!)).nextRunAt).toBe(
      '2026-05-01T12:04:00.000Z',
    );
  });

  it('sends the runs of every due job of a page together, then advances each', async () => {
    const s = queueAhead();
    s.deps.settings.shards = 1;
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await s.jobService.createJob('t', jobBody({ schedule: fromTen })));
    s.queue.sendCalls = 0;
    s.clock.current = TICK;
    const report = await s.watcher.watchShard(0);
    expect(report.dueJobs).toBe(5);
    expect(s.queue.sendCalls).toBe(1);
    const sent = s.queue.take();
    expect(new Set(sent.map((r) => r.message.jobId))).toEqual(new Set(jobs.map((j) => j.jobId)));
    for (const job of jobs)
      expect((await s.jobs.getJob(job.jobId))?.nextRunAt).toBe('2026-05-01T12:24:00.000Z');
  });

  it('a failed send leaves every job of the group where it was; the next tick sends them', async () => {
    const s = queueAhead();
    s.deps.settings.shards = 1;
    const a = await s.jobService.createJob('t', jobBody({ schedule: fromTen }));
    const b = await s.jobService.createJob('t', jobBody({ schedule: fromTen }));
    s.clock.current = TICK;
    s.queue.failNext = 1;
    await s.watcher.watchShard(0);
    expect((await s.jobs.getJob(a.jobId))?.nextRunAt).toBe('2026-05-01T12:10:00.000Z');
    expect((await s.jobs.getJob(b.jobId))?.nextRunAt).toBe('2026-05-01T12:10:00.000Z');
    s.clock.current = Date.parse('2026-05-01T12:09:30.000Z');
    await s.watcher.watchShard(0);
    const outcomes = await deliverAtTheirTime(s, s.queue.take());
    expect(outcomes.filter((o) => o.startsWith('2026-05-01T12:10:00.000Z'))).toEqual([
      '2026-05-01T12:10:00.000Z:succeeded',
      '2026-05-01T12:10:00.000Z:succeeded',
    ]);
  });

  it('plans from the index without reading the job', async () => {
    const s = queueAhead();
    const job = await s.jobService.createJob('t', jobBody({ schedule: fromTen }));
    let reads = 0;
    const getJob = s.jobs.getJob.bind(s.jobs);
    s.jobs.getJob = (id) => {
      reads++;
      return getJob(id);
    };
    s.clock.current = TICK;
    expect((await s.watcher.watchShard(job.shard)).runsEnqueued).toBe(14); // 12:10 … 12:23
    expect(reads).toBe(0);
  });

  it('a crash between send and advance: the next tick sends the same runs again, and each runs once', async () => {
    const s = queueAhead();
    const job = await s.jobService.createJob('t', jobBody({ schedule: fromTen }));
    s.clock.current = TICK;
    s.jobs.beforeWrite = (op) => {
      if (op === 'advanceJob') throw new Error('crash between send and advance');
    };
    await s.watcher.watchShard(job.shard);
    const first = s.queue.take();
    expect(first).toHaveLength(14);
    s.jobs.beforeWrite = () => {};
    s.clock.current = Date.parse('2026-05-01T12:09:30.000Z');
    await s.watcher.watchShard(job.shard);
    const second = s.queue.take();
    // The same runs again (and, a minute later, one more: 12:24 is now within 900 s).
    expect(second.map((r) => r.message.executionId).slice(0, 14)).toEqual(
      first.map((r) => r.message.executionId),
    );
    expect(second).toHaveLength(15);
    const outcomes = await deliverAtTheirTime(s, [...first, ...second]);
    expect(outcomes.filter((o) => o.endsWith(':succeeded'))).toHaveLength(15);
    expect(s.http.requests).toHaveLength(15);
  });
});

describe('queue-ahead: a change of plan drops the runs queued for the old one', () => {
  async function minuteCronQueued(s: Scheduler) {
    const job = await s.jobService.createJob('t', jobBody({ schedule: { ...everyMinute } }));
    const queued = s.queue.take();
    expect(queued).toHaveLength(15);
    s.clock.current = Date.parse('2026-05-01T12:00:30.000Z');
    return { job, queued };
  }

  it('PATCH of the schedule: none of the old schedule runs, the new one does', async () => {
    const s = queueAhead();
    const { job, queued } = await minuteCronQueued(s);
    await s.jobService.patchJob('t', job.jobId, {
      schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' },
    });
    // 12:05 is beyond the look-ahead: the job waits on the due index for a tick.
    expect(s.queue.take()).toEqual([]);
    const [early, late] = [queued.slice(0, 3), queued.slice(3)]; // 12:01 … 12:03, then 12:04 …
    const outcomes = await deliverAtTheirTime(s, early);
    s.clock.current = Date.parse('2026-05-01T12:03:30.000Z');
    await s.watcher.watchShard(job.shard);
    outcomes.push(...(await deliverAtTheirTime(s, [...late, ...s.queue.take()])));
    const ran = outcomes.filter((o) => o.endsWith(':succeeded')).map((o) => o.slice(0, 24));
    expect(ran).toEqual(['2026-05-01T12:05:00.000Z', '2026-05-01T12:10:00.000Z', '2026-05-01T12:15:00.000Z']);
    expect(outcomes.filter((o) => o.endsWith(':dropped'))).toHaveLength(15);
  });

  it('pause: no queued run executes; resume does not bring the old plan runs back', async () => {
    const s = queueAhead();
    const { job, queued } = await minuteCronQueued(s);
    await s.jobService.pauseJob('t', job.jobId);
    s.clock.current = Date.parse('2026-05-01T12:03:30.000Z');
    const whilePaused = await deliverAtTheirTime(s, queued.slice(0, 3));
    expect(whilePaused.every((o) => o.endsWith(':dropped'))).toBe(true);
    await s.jobService.resumeJob('t', job.jobId);
    const resumed = s.queue.take();
    const outcomes = await deliverAtTheirTime(s, [...queued.slice(3), ...resumed]);
    // The old plan's runs are all dropped; the resumed plan runs each minute once.
    const ran = outcomes.filter((o) => o.endsWith(':succeeded')).map((o) => o.slice(0, 24));
    expect(new Set(ran).size).toBe(ran.length);
    expect(outcomes.filter((o) => o.endsWith(':dropped'))).toHaveLength(12);
    expect(s.http.requests).toHaveLength(ran.length);
  });

  it('cancel: no queued run executes', async () => {
    const s = queueAhead();
    const { job, queued } = await minuteCronQueued(s);
    await s.jobService.cancelJob('t', job.jobId);
    const outcomes = await deliverAtTheirTime(s, queued);
    expect(outcomes.every((o) => o.endsWith(':dropped'))).toBe(true);
    expect(s.http.requests).toHaveLength(0);
  });

  it('a stale index entry (the job paused after the index answered) only sends runs the executor drops', async () => {
    const s = queueAhead();
    const job = await s.jobService.createJob('t', jobBody({ schedule: fromTen }));
    s.clock.current = TICK;
    const stale: DueJob[] = [];
    for await (const page of s.jobs.dueJobs(job.shard, '2026-05-01T12', s.clock.now() + 120_000))
      stale.push(...page.jobs);
    await s.jobService.pauseJob('t', job.jobId);
    const staleIndex: DueIndex = {
      async *dueJobs() {
        yield { hour: '2026-05-01T12', jobs: stale };
      },
      advanceJob: (j, advance) => s.jobs.advanceJob(j, advance),
    };
    s.deps.dueIndex = staleIndex;
    const report = await s.watcher.watchShard(job.shard);
    expect(report.runsEnqueued).toBe(14);
    expect(report.raceLost).toBe(1); // the advance found the job moved
    const outcomes = await deliverAtTheirTime(s, s.queue.take());
    expect(outcomes.every((o) => o.endsWith(':dropped'))).toBe(true);
    expect(s.http.requests).toHaveLength(0);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('paused');
  });

  it('bounds the runs one job has queued', async () => {
    const s = queueAhead();
    await s.jobService.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 5 } }));
    expect(s.queue.take()).toHaveLength(QUEUE_AHEAD_RUNS);
  });
});
