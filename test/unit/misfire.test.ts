import { describe, expect, it } from 'vitest';
import { InvalidSchedule } from '../../lambdas/core/errors.js';
import { lateRunDecision, planDueRuns, type ScheduledJob } from '../../lambdas/core/misfire.js';
import { firstRunAt, nextRunAfter, upcomingRuns, validateSchedule } from '../../lambdas/core/schedule.js';

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
    expect(plan.skipped.length).toBe(100);
    expect(plan.unrecordedSkips).toBeGreaterThan(0);
    expect(iso(plan.nextRunAt!)).toBe('2026-05-01T12:01:00.000Z');
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
