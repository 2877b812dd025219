import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CRON_LOOKAHEAD_MS,
  CRON_LOOKBACK_MS,
  cronRunsBetween,
  isValidTimezone,
  latestCronRunAtOrBefore,
  nextCronRun,
  validateCron,
} from '../../../../lambdas/core/cron.js';
import { InvalidSchedule } from '../../../../lambdas/core/errors.js';
import { iso, ms } from '../../../../lambdas/core/time.js';

const isoOrNull = (instant: number | null) => (instant === null ? null : iso(instant));

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('cron', () => {
  describe('isValidTimezone', () => {
    it.each([
      ['UTC', true],
      ['America/New_York', true],
      ['Australia/Lord_Howe', true],
      ['Asia/Kolkata', true],
      ['US/Eastern', true],
      ['Mars/Olympus_Mons', false],
      ['America/NewYork', false],
      ['+05:30', false],
      ['', false],
    ])('%j is %s', (tz, valid) => {
      expect(isValidTimezone(tz)).toBe(valid);
    });
  });

  describe('validateCron', () => {
    it.each([
      '* * * * *',
      '*/15 * * * *',
      '0 9 * * MON-FRI',
      '0 0 1 JAN,jul *',
      '0 0 * * 7',
      '0 0 * * FRI-SUN',
      '30 15 10 * * *',
      '0 0 L * *',
      '0 0 * * 5L',
      '0 0 * * 1#2',
      '0 0 29 2 *',
      '? * * * ?',
      '@daily',
      '@hourly',
      '  0   0 * * *  ',
    ])('accepts %j', (expression) => {
      expect(() => validateCron(expression, 'UTC')).not.toThrow();
    });

    it.each([
      ['61 * * * *', 'minute must be 0-59'],
      ['60 * * * * *', 'second must be 0-59'],
      ['0 24 * * *', 'hour must be 0-23'],
      ['0 0 0 * *', 'day-of-month must be 1-31'],
      ['0 0 32 * *', 'day-of-month must be 1-31'],
      ['0 0 * 13 *', 'month must be 1-12'],
      ['0 0 * * 8', 'day-of-week must be 0-7'],
      ['0 0 * FOO *', 'month has an invalid value "FOO"'],
      ['0 0 * * 1-9', 'day-of-week must be 0-7'],
      ['5-1 * * * *', 'minute range "5-1" runs backwards'],
      ['*/0 * * * *', 'minute step "/0" must be a whole number of at least 1'],
      ['1/2/3 * * * *', 'minute has an invalid step "1/2/3"'],
      ['1,,2 * * * *', 'minute has an empty list item'],
      ['0 0 * * 1#6', 'day-of-week occurrence in "1#6" must be 1-5'],
      ['0 H * * *', 'hashed values (H) are not supported'],
      [
        'not a cron',
        'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got 3',
      ],
      [
        '* * * *',
        'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got 4',
      ],
      [
        '0 0 0 * * * *',
        'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got 7',
      ],
      [
        '',
        'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got 0',
      ],
      ['@reboot', expect.stringContaining('unknown macro; use one of @yearly')],
      ['0 0 30 2 *', 'never matches: day-of-month "30" does not occur in month "2"'],
      ['0 0 31 2 *', 'never matches: day-of-month "31" does not occur in month "2"'],
      ['0 0 31 4,6,9,11 *', 'never matches: day-of-month "31" does not occur in month "4,6,9,11"'],
    ])('rejects %j: %s', (expression, problem) => {
      const error = thrown(() => validateCron(expression, 'UTC'));
      expect(error).toBeInstanceOf(InvalidSchedule);
      expect(error).toMatchObject({
        message:
          typeof problem === 'string' ? `invalid cron expression "${expression}": ${problem}` : problem,
        details: [{ path: 'schedule.expression', message: problem }],
      });
    });

    it.each(['Mars/Olympus_Mons', 'America/NewYork', ''])('rejects the unknown time zone %j', (tz) => {
      const problem = `unknown time zone "${tz}"; use an IANA name such as "Europe/London"`;
      const error = thrown(() => validateCron('0 0 * * *', tz));
      expect(error).toBeInstanceOf(InvalidSchedule);
      expect(error).toMatchObject({
        message: problem,
        details: [{ path: 'schedule.timezone', message: problem }],
      });
    });

    it('rejects the same input everywhere it is evaluated', () => {
      const now = ms('2026-01-01T00:00:00.000Z');
      expect(() => nextCronRun('61 * * * *', 'UTC', now)).toThrow(InvalidSchedule);
      expect(() => latestCronRunAtOrBefore('0 0 * * *', 'Nowhere/Town', now)).toThrow(InvalidSchedule);
      expect(() => cronRunsBetween('0 0 * * *', 'Nowhere/Town', now, now + 1, 1)).toThrow(InvalidSchedule);
    });
  });

  describe('nextCronRun', () => {
    it.each([
      // expression, after, next (all UTC)
      ['*/15 * * * *', '2026-01-01T00:07:00.000Z', '2026-01-01T00:15:00.000Z'],
      ['0 * * * *', '2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z'],
      ['0 * * * *', '2026-01-01T00:59:59.999Z', '2026-01-01T01:00:00.000Z'],
      ['* * * * *', '2026-01-01T00:00:00.001Z', '2026-01-01T00:01:00.000Z'],
      ['*/10 * * * * *', '2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z'],
      ['* * * * * *', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'],
      ['30 15 10 * * *', '2026-01-01T10:15:30.000Z', '2026-01-02T10:15:30.000Z'],
      ['0 0 31 * *', '2026-01-31T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
      ['0 0 31 * *', '2026-04-01T00:00:00.000Z', '2026-05-31T00:00:00.000Z'],
      ['0 0 30 * *', '2026-01-30T00:00:00.000Z', '2026-03-30T00:00:00.000Z'],
      ['0 12 L * *', '2026-02-01T00:00:00.000Z', '2026-02-28T12:00:00.000Z'],
      ['0 12 L * *', '2028-02-01T00:00:00.000Z', '2028-02-29T12:00:00.000Z'],
      ['0 0 29 2 *', '2026-01-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
      ['0 0 29 2 *', '2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z'],
      ['0 0 29 2 *', '2096-03-01T00:00:00.000Z', '2104-02-29T00:00:00.000Z'],
      ['0 0 1 1 *', '2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z'],
      ['59 23 31 12 *', '2026-12-31T23:59:00.000Z', '2027-12-31T23:59:00.000Z'],
      ['0 9 * * MON-FRI', '2026-01-02T10:00:00.000Z', '2026-01-05T09:00:00.000Z'],
      ['0 0 * * 7', '2026-01-01T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
      ['0 0 * * FRI-SUN', '2026-01-05T00:00:00.000Z', '2026-01-09T00:00:00.000Z'],
      ['0 0 1 JAN,jul *', '2026-01-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z'],
      // day-of-month and day-of-week both restricted: either one matches (Tue 10th before Fri 13th)
      ['0 0 10 * 5', '2026-02-07T00:00:00.000Z', '2026-02-10T00:00:00.000Z'],
      ['0 0 10 * 5', '2026-02-10T00:00:00.000Z', '2026-02-13T00:00:00.000Z'],
      ['0 0 * * 1#2', '2026-02-01T00:00:00.000Z', '2026-02-09T00:00:00.000Z'],
      ['0 0 * * 5L', '2026-01-01T00:00:00.000Z', '2026-01-30T00:00:00.000Z'],
      ['@daily', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
      ['@weekly', '2026-01-01T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
      ['@hourly', '2026-01-01T00:30:00.000Z', '2026-01-01T01:00:00.000Z'],
      ['0 0 31 2 *', '2026-01-01T00:00:00.000Z', null],
    ])('%s after %s is %s', (expression, after, next) => {
      expect(isoOrNull(nextCronRun(expression, 'UTC', ms(after)))).toBe(next);
    });

    // The fifth Monday of February needs a leap year starting on a Monday: 2016, 2044, 2072.
    it.each([
      ['2034-02-26T00:00:00.000Z', null],
      ['2034-02-27T00:00:00.000Z', '2044-02-29T00:00:00.000Z'],
      ['2034-02-28T00:00:00.000Z', '2044-02-29T00:00:00.000Z'],
    ])('looks 10 years and a day ahead, and no further: after %s is %s', (after, next) => {
      expect(CRON_LOOKAHEAD_MS).toBe((10 * 365 + 4) * 86_400_000);
      expect(isoOrNull(nextCronRun('0 0 * 2 1#5', 'UTC', ms(after)))).toBe(next);
    });

    // No wall-clock assertion here (speed is measured by bench/, not unit tests): a minute-by-minute
    // scan would make these 10,100 calls run for hours and trip the test timeout instead.
    it('walks simple and never-matching expressions without scanning', () => {
      const start = ms('2026-01-01T00:00:00.000Z');
      // Warm the zone's offset table (built once per zone and year, ~1 ms a year).
      nextCronRun('0 0 31 2 *', 'America/New_York', start);
      latestCronRunAtOrBefore('0 0 31 2 *', 'America/New_York', start);
      let after = start;
      for (let i = 0; i < 10_000; i++) after = nextCronRun('*/5 * * * *', 'America/New_York', after) ?? after;
      for (let i = 0; i < 100; i++) {
        expect(nextCronRun('0 0 31 2 *', 'America/New_York', start + i * 86_400_000)).toBeNull();
        expect(latestCronRunAtOrBefore('0 0 31 2 *', 'America/New_York', start + i * 86_400_000)).toBeNull();
      }
      expect(iso(after)).toBe('2026-02-04T17:20:00.000Z');
    });
  });

  describe('latestCronRunAtOrBefore', () => {
    it.each([
      ['0 * * * *', '2026-01-01T01:00:00.000Z', '2026-01-01T01:00:00.000Z'],
      ['0 * * * *', '2026-01-01T00:59:59.999Z', '2026-01-01T00:00:00.000Z'],
      ['*/10 * * * * *', '2026-01-01T00:00:09.999Z', '2026-01-01T00:00:00.000Z'],
      ['0 0 31 * *', '2026-05-30T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
      ['0 12 L * *', '2028-03-01T00:00:00.000Z', '2028-02-29T12:00:00.000Z'],
      ['0 0 29 2 *', '2027-06-01T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
      ['0 0 1 1 *', '2026-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z'],
      ['0 9 * * MON-FRI', '2026-01-05T08:59:59.000Z', '2026-01-02T09:00:00.000Z'],
      ['0 0 10 * 5', '2026-02-12T00:00:00.000Z', '2026-02-10T00:00:00.000Z'],
      ['0 0 31 2 *', '2026-01-01T00:00:00.000Z', null],
      ['0 0 1 1 *', '1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z'],
    ])('%s at or before %s is %s', (expression, at, latest) => {
      expect(isoOrNull(latestCronRunAtOrBefore(expression, 'UTC', ms(at)))).toBe(latest);
    });

    it.each([
      ['2026-03-01T00:00:00.000Z', '2016-02-29T00:00:00.000Z'],
      ['2026-03-02T00:00:00.000Z', null],
    ])('looks 10 years back, and no further: at or before %s is %s', (at, latest) => {
      expect(CRON_LOOKBACK_MS).toBe((10 * 365 + 3) * 86_400_000);
      expect(isoOrNull(latestCronRunAtOrBefore('0 0 * 2 1#5', 'UTC', ms(at)))).toBe(latest);
    });
  });

  describe('cronRunsBetween', () => {
    it.each([
      // expression, after (exclusive), until (inclusive), limit, runs
      [
        '*/20 * * * *',
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T01:00:00.000Z',
        10,
        ['2026-01-01T00:20:00.000Z', '2026-01-01T00:40:00.000Z', '2026-01-01T01:00:00.000Z'],
      ],
      [
        '*/20 * * * *',
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T01:00:00.000Z',
        2,
        ['2026-01-01T00:20:00.000Z', '2026-01-01T00:40:00.000Z'],
      ],
      ['*/20 * * * *', '2026-01-01T00:00:00.000Z', '2026-01-01T00:19:59.999Z', 10, []],
      ['*/20 * * * *', '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', 0, []],
      ['*/20 * * * *', '2026-01-01T01:00:00.000Z', '2026-01-01T00:00:00.000Z', 10, []],
      [
        '0 0 29 2 *',
        '2024-01-01T00:00:00.000Z',
        '2032-12-31T00:00:00.000Z',
        10,
        ['2024-02-29T00:00:00.000Z', '2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z'],
      ],
      ['0 0 31 2 *', '2026-01-01T00:00:00.000Z', '2036-01-01T00:00:00.000Z', 10, []],
    ])('%s in (%s, %s] limited to %i', (expression, after, until, limit, runs) => {
      expect(cronRunsBetween(expression, 'UTC', ms(after), ms(until), limit).map(iso)).toEqual(runs);
    });
  });

  describe('agreement with cron-parser where time zones play no part (UTC)', () => {
    const field = (min: number, max: number, special: string[] = []) =>
      fc.oneof(
        fc.constant('*'),
        fc.integer({ min, max }).map(String),
        fc
          .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.integer({ min: 1, max: max - min + 1 }).map((step) => `*/${step}`),
        fc
          .tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max: 10 }))
          .map(([a, b, step]) => `${Math.min(a, b)}-${Math.max(a, b)}/${step}`),
        fc
          .uniqueArray(fc.integer({ min, max }), { minLength: 2, maxLength: 4 })
          .map((values) => values.join(',')),
        ...special.map((value) => fc.constant(value)),
      );
    const expression = fc
      .tuple(
        field(0, 59),
        field(0, 59),
        field(0, 23),
        field(1, 31, ['L', '15,L']),
        field(1, 12),
        field(0, 6, ['5L', '1#2', '0#5']),
        fc.boolean(),
      )
      .map(([second, ...rest]) => (rest.pop() ? [second, ...rest] : rest).join(' '));
    // Half-second instants: never exactly on a run, so cron-parser's prev() and our "at or before" agree.
    const instant = fc
      .integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2040, 0, 1) / 1000 })
      .map((seconds) => seconds * 1000 + 500);

    function reference(expr: string, from: number, direction: 'next' | 'prev'): number | null {
      try {
        return CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: new Date(from) })
          [direction]()
          .getTime();
      } catch {
        return null;
      }
    }

    it('finds the same next and latest runs for random expressions', () => {
      fc.assert(
        fc.property(expression, instant, (expr, from) => {
          // cron-parser gives up (throws) on some rare expressions; compare where it answers.
          const next = reference(expr, from, 'next');
          const prev = reference(expr, from, 'prev');
          fc.pre(next !== null && prev !== null);
          // Beyond our horizons (e.g. the fifth Sunday of February, 28 years apart) we answer null.
          const nextInHorizon = next <= from + CRON_LOOKAHEAD_MS ? next : null;
          const prevInHorizon = prev >= from - CRON_LOOKBACK_MS ? prev : null;
          expect(isoOrNull(nextCronRun(expr, 'UTC', from))).toBe(isoOrNull(nextInHorizon));
          expect(isoOrNull(latestCronRunAtOrBefore(expr, 'UTC', from))).toBe(isoOrNull(prevInHorizon));
        }),
        { numRuns: 300 },
      );
    });
  });
});
