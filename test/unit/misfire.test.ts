import { describe, expect, it } from 'vitest';
import { InvalidSchedule } from '../../lambdas/core/errors.js';
import { jitterOffsetMs } from '../../lambdas/core/jitter.js';
import { lateRunDecision, planDueRuns, runsToResend, type ScheduledJob } from '../../lambdas/core/misfire.js';
import { firstRunAt, nextRunAfter, upcomingRuns, validateSchedule } from '../../lambdas/core/schedule.js';
import { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../lambdas/services/jobs/job-service.js';
import { WatcherService } from '../../lambdas/services/watcher/watcher-service.js';
import { recoverLostRuns } from '../../local/recovery.js';
import { CreateJobBody } from '../../schemas/job.js';
import { fakeDeps } from '../support/services.js';

const at = (s: string) => Date.parse(s);
const iso = (n: number) => new Date(n).toISOString();
const MIN = 60_000;

function everyMinute(nextRunAt: string, misfire: ScheduledJob['misfire'], grace = 60): ScheduledJob {
  return {
    schedule: { type: 'rate', everySeconds: 60 },
    anchorAt: at('2026-01-01T00:00:00.000Z'),
    nextRunAt: at(nextRunAt),
    misfire,
    misfireGraceSeconds: grace,
  };
}

describe('schedule', () => {
  it('runs a rate schedule on its anchor grid, respecting the window', () => {
    const schedule = {
      type: 'rate' as const,
      everySeconds: 90,
      startAt: '2026-01-01T00:00:00.000Z',
      endAt: '2026-01-01T00:05:00.000Z',
    };
    const anchor = at('2026-01-01T00:00:00.000Z');
    expect(upcomingRuns(schedule, at('2025-12-31T00:00:00.000Z'), 10, anchor).map(iso)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:01:30.000Z',
      '2026-01-01T00:03:00.000Z',
      '2026-01-01T00:04:30.000Z',
    ]);
    expect(nextRunAfter(schedule, at('2026-01-01T00:01:30.000Z'), anchor)).toBe(
      at('2026-01-01T00:03:00.000Z'),
    );
  });

  it('runs a once schedule at its instant, or now when that has passed', () => {
    const now = at('2026-05-01T12:00:00.000Z');
    expect(firstRunAt({ type: 'once', at: '2026-05-01T12:00:05.000Z' }, now)).toBe(
      at('2026-05-01T12:00:05.000Z'),
    );
    expect(firstRunAt({ type: 'once', at: '2026-05-01T11:00:00.000Z' }, now)).toBe(now);
    expect(firstRunAt({ type: 'immediate' }, now)).toBe(now);
    expect(nextRunAfter({ type: 'once', at: '2026-05-01T12:00:05.000Z' }, now)).toBeNull();
  });

  it.each([
    [{ type: 'once', at: '2040-01-01T00:00:00.000Z' }, 'more than 10 years'],
    [
      {
        type: 'rate',
        everySeconds: 5,
        startAt: '2026-06-01T00:00:00.000Z',
        endAt: '2026-05-01T00:00:00.000Z',
      },
      'endAt must be after',
    ],
    [{ type: 'rate', everySeconds: 5, endAt: '2026-01-01T00:00:00.000Z' }, 'in the past'],
  ] as const)('refuses %j', (schedule, message) => {
    expect(() => validateSchedule(schedule, at('2026-05-01T12:00:00.000Z'))).toThrow(InvalidSchedule);
    expect(() => validateSchedule(schedule, at('2026-05-01T12:00:00.000Z'))).toThrow(message);
  });
});

describe('planDueRuns', () => {
  const now = at('2026-05-01T12:00:10.000Z');

  it('enqueues the runs inside the look-ahead and moves the job past them', () => {
    const plan = planDueRuns(everyMinute('2026-05-01T12:01:00.000Z', 'run_once'), now, 2 * MIN);
    expect(plan.runs.map((r) => iso(r.scheduledAt))).toEqual([
      '2026-05-01T12:01:00.000Z',
      '2026-05-01T12:02:00.000Z',
    ]);
    expect(plan.runs.every((r) => !r.lateAccepted)).toBe(true);
    expect(plan.skipped).toEqual([]);
    expect(iso(plan.nextRunAt!)).toBe('2026-05-01T12:03:00.000Z');
  });

  it('treats a run inside the grace period as on time', () => {
    const plan = planDueRuns(everyMinute('2026-05-01T12:00:00.000Z', 'skip'), now, 0);
    expect(plan.runs.map((r) => iso(r.scheduledAt))).toEqual(['2026-05-01T12:00:00.000Z']);
    expect(plan.skipped).toEqual([]);
  });

  it('skip: drops every missed run and records them as skipped', () => {
    const plan = planDueRuns(everyMinute('2026-05-01T11:55:00.000Z', 'skip'), now, 0);
    expect(plan.runs.map((r) => iso(r.scheduledAt))).toEqual(['2026-05-01T12:00:00.000Z']);
    expect(plan.skipped.map(iso)).toEqual([
      '2026-05-01T11:55:00.000Z',
      '2026-05-01T11:56:00.000Z',
      '2026-05-01T11:57:00.000Z',
      '2026-05-01T11:58:00.000Z',
      '2026-05-01T11:59:00.000Z',
    ]);
  });

  it('run_once: runs the most recent missed run now and skips the others', () => {
    const plan = planDueRuns(everyMinute('2026-05-01T11:55:00.000Z', 'run_once'), now, 0);
    expect(plan.runs.map((r) => [iso(r.scheduledAt), r.lateAccepted])).toEqual([
      ['2026-05-01T11:59:00.000Z', true],
      ['2026-05-01T12:00:00.000Z', false],
    ]);
    expect(plan.skipped).toHaveLength(4);
  });

  it('catch_up: runs every missed run when there are at most 100', () => {
    const plan = planDueRuns(everyMinute('2026-05-01T11:00:00.000Z', 'catch_up'), now, 0);
    expect(plan.runs).toHaveLength(61);
    expect(plan.runs.slice(0, 59).every((r) => r.lateAccepted)).toBe(true);
    expect(plan.skipped).toEqual([]);
  });

  it('catch_up beyond 100 missed runs behaves as run_once, without walking every run', () => {
    const plan = planDueRuns(everyMinute('2026-04-01T00:00:00.000Z', 'catch_up'), now, 0);
    expect(plan.runs.map((r) => iso(r.scheduledAt))).toEqual([
      '2026-05-01T11:59:00.000Z',
      '2026-05-01T12:00:00.000Z',
    ]);
    // The 100 records are the runs just before the one that runs, the recent end of the history.
    expect(plan.skipped.length).toBe(100);
    expect(iso(plan.skipped[0]!)).toBe('2026-05-01T10:19:00.000Z');
    expect(iso(plan.skipped.at(-1)!)).toBe('2026-05-01T11:58:00.000Z');
    expect(plan.unrecordedSkips).toBeGreaterThan(100);
    expect(iso(plan.nextRunAt!)).toBe('2026-05-01T12:01:00.000Z');
  });

  it('enumerates every missed run when the two stretches meet, just past the limit', () => {
    // 11:55 − 103 min = 10:12: 103 missed runs (10:12 … 11:54) and 11:55 … 11:59; grace 5 min.
    const plan = planDueRuns(everyMinute('2026-05-01T10:12:00.000Z', 'skip', 300), now, 0);
    expect(plan.skipped).toHaveLength(100);
    expect(iso(plan.skipped.at(-1)!)).toBe('2026-05-01T11:55:00.000Z');
    expect(plan.skipped.length + plan.unrecordedSkips).toBe(104);
  });

  it('completes a once schedule whose run was skipped', () => {
    const plan = planDueRuns(
      {
        schedule: { type: 'once', at: '2026-05-01T10:00:00.000Z' },
        nextRunAt: at('2026-05-01T10:00:00.000Z'),
        misfire: 'skip',
        misfireGraceSeconds: 60,
      },
      now,
      2 * MIN,
    );
    expect(plan.runs).toEqual([]);
    expect(plan.skipped.map(iso)).toEqual(['2026-05-01T10:00:00.000Z']);
    expect(plan.nextRunAt).toBeNull();
  });
});

describe('lateRunDecision', () => {
  const job = everyMinute('2026-05-01T11:00:00.000Z', 'run_once');
  it.each([
    ['run_once', '2026-05-01T12:00:00.000Z', '2026-05-01T12:00:30.000Z', 'run'],
    ['run_once', '2026-05-01T11:58:00.000Z', '2026-05-01T12:00:30.000Z', 'skip'],
    ['run_once', '2026-05-01T11:59:00.000Z', '2026-05-01T12:00:30.000Z', 'run'],
    ['skip', '2026-05-01T11:58:00.000Z', '2026-05-01T12:00:30.000Z', 'skip'],
    ['catch_up', '2026-05-01T11:00:00.000Z', '2026-05-01T12:00:30.000Z', 'run'],
  ] as const)('%s: a run at %s picked up at %s → %s', (misfire, scheduledAt, pickedUp, decision) => {
    expect(lateRunDecision({ ...job, misfire, scheduledAt: at(scheduledAt) }, at(pickedUp))).toBe(decision);
  });
});

describe('runsToResend (restart recovery)', () => {
  const now = at('2026-05-01T12:10:00.000Z');
  const minutes = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i * MIN);
  const early = minutes(at('2026-05-01T10:00:00.000Z'), 120); // 10:00 … 11:59, all missed

  it('sends every unrecorded run under skip and run_once: the executor records or runs each', () => {
    for (const misfire of ['skip', 'run_once'] as const) {
      expect(runsToResend({ misfire, misfireGraceSeconds: 60 }, early, now)).toEqual(early);
    }
  });

  it('sends every unrecorded run under catch_up up to 100 missed', () => {
    const hundred = early.slice(-100);
    expect(runsToResend({ misfire: 'catch_up', misfireGraceSeconds: 60 }, hundred, now)).toEqual(hundred);
  });

  it('past 100 missed, sends only the latest missed run under catch_up, and every run not yet missed', () => {
    const upcoming = minutes(at('2026-05-01T12:09:30.000Z'), 2); // within the grace, or ahead
    expect(
      runsToResend({ misfire: 'catch_up', misfireGraceSeconds: 60 }, [...early, ...upcoming], now).map(iso),
    ).toEqual(['2026-05-01T11:59:00.000Z', '2026-05-01T12:09:30.000Z', '2026-05-01T12:10:30.000Z']);
  });
});

describe('recoverLostRuns', () => {
  const NOW = at('2026-05-01T12:00:30.000Z');
  const body = (overrides: Record<string, unknown>) =>
    CreateJobBody.parse({ target: { url: 'https://example.com/hook' }, ...overrides });

  async function lostQueue(overrides: Record<string, unknown>) {
    const f = fakeDeps(NOW);
    const jobs = new JobService(f.deps);
    const job = await jobs.createJob('t', body(overrides));
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

  it('keeps catch_up to its bound: past 100 missed runs only the latest is sent again', async () => {
    const s = await lostQueue({ schedule: { type: 'rate', everySeconds: 1 }, misfire: 'catch_up' });
    expect(s.handed).toHaveLength(120);
    s.clock.current = at('2026-05-01T12:10:00.000Z');
    await recoverLostRuns(s.deps, s.watch);
    expect(s.queue.take().map((r) => r.message.scheduledAt)).toEqual([s.handed.at(-1)!.message.scheduledAt]);
  });
});

describe('jitter at the executor', () => {
  const NOW = at('2026-05-01T12:00:00.000Z');

  /** Delivers the job's run at `deliveredAt` on fresh stores; returns when the target was called. */
  async function calledAt(deliveredAt: number, jitterSeconds: number): Promise<{ id: string; at: number }> {
    const f = fakeDeps(NOW);
    const job = await new JobService(f.deps).createJob(
      't',
      CreateJobBody.parse({
        target: { url: 'https://example.com/hook' },
        schedule: { type: 'once', at: '2026-05-01T12:01:00.000Z' },
        jitterSeconds,
      }),
    );
    const [run] = f.queue.take();
    f.clock.current = deliveredAt;
    expect(await new ExecutorService(f.deps, 'exec').handle(run!.message)).toBe('succeeded');
    expect(job.jitterSeconds).toBe(jitterSeconds);
    // The attempt's start: the instant the call went out (the fake clock moves on while it runs).
    const execution = await f.executions.getExecution(run!.message.executionId);
    const called = Date.parse(execution!.attempts[0]!.startedAt);
    return { id: run!.message.executionId, at: called };
  }

  it('starts a run at its time plus an offset fixed by the execution id, however early it is delivered', async () => {
    const due = at('2026-05-01T12:01:00.000Z');
    const first = await calledAt(due - 900, 30);
    const redelivered = await calledAt(due - 200, 30);
    expect(redelivered).toEqual(first);
    expect(first.at).toBe(due + jitterOffsetMs(first.id, 30));
    expect(first.at - due).toBeGreaterThanOrEqual(0);
    expect(first.at - due).toBeLessThan(30_000);
    expect((await calledAt(due - 900, 0)).at).toBe(due);
  });

  it('spreads different executions of identical schedules over the window', () => {
    const offsets = new Set(
      Array.from({ length: 50 }, (_, i) => jitterOffsetMs(`job_${i}:2026-05-01T12:01:00.000Z`, 30)),
    );
    expect(offsets.size).toBeGreaterThan(40);
    for (const offset of offsets) expect(offset).toBeLessThan(30_000);
  });
});

describe('windows and the end of a job', () => {
  const NOW = at('2026-05-01T12:00:00.000Z');

  it('runs a cron schedule only inside startAt/endAt, in its timezone', () => {
    const schedule = {
      type: 'cron' as const,
      expression: '0 9 * * *',
      timezone: 'Europe/London',
      startAt: '2026-05-03T00:00:00.000Z',
      endAt: '2026-05-05T08:00:00.000Z',
    };
    expect(upcomingRuns(schedule, NOW, 10).map(iso)).toEqual([
      '2026-05-03T08:00:00.000Z',
      '2026-05-04T08:00:00.000Z',
      '2026-05-05T08:00:00.000Z',
    ]);
  });

  it('completes a recurring job after the last run of its window', async () => {
    const f = fakeDeps(NOW);
    const service = new JobService(f.deps);
    const watch = new WatcherService(f.deps);
    const executor = new ExecutorService(f.deps, 'exec');
    const job = await service.createJob(
      't',
      CreateJobBody.parse({
        target: { url: 'https://example.com/hook' },
        schedule: { type: 'rate', everySeconds: 60, endAt: '2026-05-01T12:03:30.000Z' },
      }),
    );
    const runs = f.queue.take();
    f.clock.current = at('2026-05-01T12:02:00.000Z');
    await watch.watchShard(job.shard);
    runs.push(...f.queue.take());
    expect(runs.map((r) => r.message.scheduledAt)).toEqual([
      '2026-05-01T12:01:00.000Z',
      '2026-05-01T12:02:00.000Z',
      '2026-05-01T12:03:00.000Z',
    ]);
    expect((await f.jobs.getJob(job.jobId))?.nextRunAt).toBeUndefined();
    for (const run of runs) {
      f.clock.current = Math.max(f.clock.current, Date.parse(run.message.scheduledAt));
      expect(await executor.handle(run.message)).toBe('succeeded');
    }
    expect((await f.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('ends a one-time job failed when its run fails for good, completed when it succeeds', async () => {
    for (const [statusCode, expected] of [
      [200, 'completed'],
      [404, 'failed'],
    ] as const) {
      const f = fakeDeps(NOW);
      const job = await new JobService(f.deps).createJob(
        't',
        CreateJobBody.parse({ target: { url: 'https://example.com/hook' }, schedule: { type: 'immediate' } }),
      );
      f.http.answer = () => ({ kind: 'response', statusCode, body: '', durationMs: 1 });
      await new ExecutorService(f.deps, 'exec').handle(f.queue.take()[0]!.message);
      expect((await f.jobs.getJob(job.jobId))?.status).toBe(expected);
    }
  });
});
