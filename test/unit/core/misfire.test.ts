import { describe, expect, it } from 'vitest';
import {
  lateRunDecision,
  planDueRuns,
  QUEUE_AHEAD_RUNS,
  runsToResend,
  type ScheduledJob,
} from '../../../lambdas/core/misfire.js';

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

describe('planDueRuns with queue-ahead', () => {
  const now = at('2026-05-01T12:00:10.000Z');
  const ahead = { horizonMs: 15 * MIN, maxRuns: QUEUE_AHEAD_RUNS };

  it('plans a minute cron up to the 900 s SQS delay limit, so one advance serves about a dozen runs', () => {
    const plan = planDueRuns(everyMinute('2026-05-01T12:01:00.000Z', 'run_once'), now, 2 * MIN, ahead);
    expect(plan.runs.map((r) => iso(r.scheduledAt))).toEqual(
      Array.from({ length: 15 }, (_, i) => iso(at('2026-05-01T12:01:00.000Z') + i * MIN)),
    );
    // Every run is within what SQS can delay from now.
    expect(plan.runs.every((r) => r.scheduledAt - now <= 900_000)).toBe(true);
    expect(iso(plan.nextRunAt!)).toBe('2026-05-01T12:16:00.000Z');
  });

  it('stops at the bounded count of runs per job', () => {
    const everyTenSeconds: ScheduledJob = {
      ...everyMinute('2026-05-01T12:00:20.000Z', 'run_once'),
      schedule: { type: 'rate', everySeconds: 10 },
    };
    const plan = planDueRuns(everyTenSeconds, now, 2 * MIN, ahead);
    expect(plan.runs).toHaveLength(QUEUE_AHEAD_RUNS);
    expect(iso(plan.nextRunAt!)).toBe(iso(at('2026-05-01T12:00:20.000Z') + QUEUE_AHEAD_RUNS * 10_000));
  });

  it('never plans fewer runs than the look-ahead holds, whatever the bound: the next tick must find the job in time', () => {
    const everySecond: ScheduledJob = {
      ...everyMinute('2026-05-01T12:00:11.000Z', 'run_once'),
      schedule: { type: 'rate', everySeconds: 1 },
    };
    const plan = planDueRuns(everySecond, now, 2 * MIN, ahead);
    expect(plan.runs).toHaveLength(120);
    expect(iso(plan.nextRunAt!)).toBe('2026-05-01T12:02:11.000Z');
  });

  it('counts catch-up runs against the bound and keeps the misfire rules unchanged', () => {
    const plan = planDueRuns(everyMinute('2026-05-01T11:55:00.000Z', 'skip'), now, 2 * MIN, ahead);
    expect(plan.skipped).toHaveLength(5);
    expect(iso(plan.runs[0]!.scheduledAt)).toBe('2026-05-01T12:00:00.000Z');
    expect(iso(plan.runs.at(-1)!.scheduledAt)).toBe('2026-05-01T12:15:00.000Z');
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
