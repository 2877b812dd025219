import { describe, expect, it } from 'vitest';
import { InvalidSchedule } from '../../../lambdas/core/errors.js';
import { firstRunAt, nextRunAfter, upcomingRuns, validateSchedule } from '../../../lambdas/core/schedule.js';
import { iso, ms } from '../../../lambdas/core/time.js';
import type { Schedule } from '../../../schemas/job.js';
import { thrown } from '../../support/errors.js';

const at = (s: string) => Date.parse(s);

const NOW = ms('2026-05-01T12:00:00.000Z');
const cron = (expression: string, extra: Partial<Schedule> = {}): Schedule =>
  ({ type: 'cron', expression, timezone: 'UTC', ...extra }) as Schedule;

describe('schedule', () => {
  describe('a next run however far away (the fifth Monday of February)', () => {
    // Five Mondays in February need a leap year whose 1 February is a Monday: 2044, 2072, then
    // 2112 (2100 is not a leap year, so the 28-year rhythm breaks).
    it.each([
      ['UTC', '2044-02-29T00:00:00.000Z'],
      ['America/New_York', '2044-02-29T05:00:00.000Z'],
      ['Australia/Lord_Howe', '2044-02-28T13:00:00.000Z'],
    ])('is found in %s: %s', (timezone, first) => {
      const schedule = cron('0 0 * 2 1#5', { timezone } as Partial<Schedule>);
      expect(() => validateSchedule(schedule, NOW)).not.toThrow();
      expect(iso(firstRunAt(schedule, NOW) ?? 0)).toBe(first);
      expect(iso(nextRunAfter(schedule, NOW) ?? 0)).toBe(first);
    });

    it('is previewed with the runs after it, decades apart', () => {
      expect(upcomingRuns(cron('0 0 * 2 1#5'), NOW, 3).map(iso)).toEqual([
        '2044-02-29T00:00:00.000Z',
        '2072-02-29T00:00:00.000Z',
        '2112-02-29T00:00:00.000Z',
      ]);
    });

    // 02:30 on 8 March exists only in the gap of New York's 2026 spring change (it comes a week later
    // in 2027): a stepped hour skips it, a fixed hour runs at the end of the gap.
    it.each([
      ['30 2/24 8 3 *', '2027-03-08T07:30:00.000Z'],
      ['30 2 8 3 *', '2026-03-08T07:00:00.000Z'],
    ])('steps past a match that is no run: %s is next at %s', (expression, next) => {
      const schedule = cron(expression, { timezone: 'America/New_York' } as Partial<Schedule>);
      expect(iso(nextRunAfter(schedule, ms('2026-01-01T00:00:00.000Z')) ?? 0)).toBe(next);
    });

    it('is found after a run far away as well (the watcher advances the job from it)', () => {
      expect(iso(nextRunAfter(cron('0 0 * 2 1#5'), ms('2044-02-29T00:00:00.000Z')) ?? 0)).toBe(
        '2072-02-29T00:00:00.000Z',
      );
    });
  });

  describe('a schedule with no run at all is refused, saying when it would first run', () => {
    it.each([
      [
        'a window that closes before the first run',
        cron('0 0 * 2 1#5', { endAt: '2040-01-01T00:00:00.000Z' }),
        'schedule.endAt',
        'its first run would be at 2044-02-29T00:00:00.000Z, after endAt 2040-01-01T00:00:00.000Z',
      ],
      [
        'a rate window shorter than one interval',
        { type: 'rate', everySeconds: 3600, endAt: '2026-05-01T12:30:00.000Z' } as Schedule,
        'schedule.endAt',
        'its first run would be at 2026-05-01T13:00:00.000Z, after endAt 2026-05-01T12:30:00.000Z',
      ],
    ])('%s', (_what, schedule, path, message) => {
      const error = thrown(() => validateSchedule(schedule, NOW));
      expect(error).toBeInstanceOf(InvalidSchedule);
      expect(error).toMatchObject({ details: [{ path, message }] });
      expect((error as Error).message).toContain(message);
    });
  });
});

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
