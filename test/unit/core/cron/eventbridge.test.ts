import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cronRunsBetween, instantOfLocal, nextCronRun, validateCron } from '../../../../lambdas/core/cron.js';
import { InvalidSchedule } from '../../../../lambdas/core/errors.js';
import {
  isAtExpression,
  parseAtExpression,
  parseRateExpression,
} from '../../../../lambdas/core/eventbridge-expressions.js';
import { DAY, HOUR, iso, ms } from '../../../../lambdas/core/time.js';
import { thrown } from '../../../support/errors.js';

/**
 * EventBridge Scheduler expressions, read as its documentation says (docs/decisions/cron-engine.md
 * cites the pages): `cron(minutes hours day-of-month month day-of-week year)` with day-of-week 1-7 =
 * SUN-SAT, `?` in exactly one of the day fields, `L`, `W`, `#` and a year; `rate(value unit)`; and
 * `at(yyyy-mm-ddThh:mm:ss)` in the schedule's time zone. The day lists below were worked out
 * independently of this code, from a calendar (2026-08-01 and 2026-08-15 are Saturdays, 2026-11-15
 * and 2026-05-31 Sundays, 2027-12-31 a Friday). Our DST contract applies to these crons too.
 */

const runs = (expression: string, zone: string, after: string, count: number) =>
  cronRunsBetween(expression, zone, ms(after), ms(after) + 20 * 365 * DAY, count).map(iso);

describe('EventBridge Scheduler cron(...)', () => {
  describe('runs, in UTC', () => {
    it.each([
      // expression, after, the first runs, what EventBridge's documentation says it means
      [
        'cron(0 10 * * ? *)',
        '2026-03-06T12:00:00.000Z',
        ['2026-03-07T10:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-09T10:00:00.000Z'],
        '10:00 every day',
      ],
      [
        'cron(0 18 ? * MON-FRI *)',
        '2026-03-06T12:00:00.000Z',
        ['2026-03-06T18:00:00.000Z', '2026-03-09T18:00:00.000Z', '2026-03-10T18:00:00.000Z'],
        '18:00 Monday to Friday (Friday 6 March, then Monday 9 March)',
      ],
      [
        'cron(0 18 ? * 2-6 *)',
        '2026-03-06T12:00:00.000Z',
        ['2026-03-06T18:00:00.000Z', '2026-03-09T18:00:00.000Z', '2026-03-10T18:00:00.000Z'],
        'the same days by number: 2-6 is MON-FRI',
      ],
      [
        'cron(0 12 ? * 1 *)',
        '2026-03-01T12:00:00.000Z',
        ['2026-03-08T12:00:00.000Z', '2026-03-15T12:00:00.000Z'],
        '1 is Sunday',
      ],
      [
        'cron(0 12 ? * L *)',
        '2026-03-01T00:00:00.000Z',
        ['2026-03-07T12:00:00.000Z', '2026-03-14T12:00:00.000Z'],
        'L alone in day-of-week is the last day of the week, Saturday',
      ],
      [
        'cron(0 8 1 * ? *)',
        '2026-03-06T00:00:00.000Z',
        ['2026-04-01T08:00:00.000Z', '2026-05-01T08:00:00.000Z'],
        '08:00 on the first of the month',
      ],
      [
        'cron(0/15 * * * ? *)',
        '2026-03-06T00:07:00.000Z',
        ['2026-03-06T00:15:00.000Z', '2026-03-06T00:30:00.000Z', '2026-03-06T00:45:00.000Z'],
        'every 15 minutes from :00',
      ],
      [
        'cron(1/10 * * * ? *)',
        '2026-03-06T00:00:00.000Z',
        ['2026-03-06T00:01:00.000Z', '2026-03-06T00:11:00.000Z', '2026-03-06T00:21:00.000Z'],
        '1/10: every tenth minute from the first (the documentation’s example)',
      ],
      [
        'cron(0 0 L * ? *)',
        '2026-01-01T00:00:00.000Z',
        ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
        'the last day of the month',
      ],
      [
        'cron(0 9 15W * ? *)',
        '2026-07-01T00:00:00.000Z',
        [
          '2026-07-15T09:00:00.000Z',
          '2026-08-14T09:00:00.000Z',
          '2026-09-15T09:00:00.000Z',
          '2026-10-15T09:00:00.000Z',
          '2026-11-16T09:00:00.000Z',
        ],
        'the weekday nearest the 15th: Saturday 15 August → Friday 14th, Sunday 15 November → Monday 16th',
      ],
      [
        'cron(0 9 1W * ? *)',
        '2026-07-01T00:00:00.000Z',
        ['2026-07-01T09:00:00.000Z', '2026-08-03T09:00:00.000Z', '2026-09-01T09:00:00.000Z'],
        'W never leaves the month: Saturday 1 August → Monday 3rd, not Friday 31 July',
      ],
      [
        'cron(0 9 31W * ? *)',
        '2026-01-01T00:00:00.000Z',
        ['2026-01-30T09:00:00.000Z', '2026-03-31T09:00:00.000Z', '2026-05-29T09:00:00.000Z'],
        'Saturday 31 January → Friday 30th; no 31st in February or April; Sunday 31 May → Friday 29th',
      ],
      [
        'cron(0 17 LW * ? *)',
        '2026-01-01T00:00:00.000Z',
        ['2026-01-30T17:00:00.000Z', '2026-02-27T17:00:00.000Z', '2026-03-31T17:00:00.000Z'],
        'the last weekday of the month',
      ],
      [
        'cron(0 12 ? * 3#2 *)',
        '2026-01-01T00:00:00.000Z',
        ['2026-01-13T12:00:00.000Z', '2026-02-10T12:00:00.000Z', '2026-03-10T12:00:00.000Z'],
        '3#2: the second Tuesday (the documentation’s example)',
      ],
      [
        'cron(0 12 ? * MON#1 *)',
        '2026-03-01T00:00:00.000Z',
        ['2026-03-02T12:00:00.000Z', '2026-04-06T12:00:00.000Z'],
        'the first Monday, by name',
      ],
      [
        'cron(15 10 ? * 6L 2026-2027)',
        '2027-09-01T00:00:00.000Z',
        [
          '2027-09-24T10:15:00.000Z',
          '2027-10-29T10:15:00.000Z',
          '2027-11-26T10:15:00.000Z',
          '2027-12-31T10:15:00.000Z',
        ],
        'the last Friday of each month, in 2026 and 2027 only: nothing after 2027',
      ],
      [
        'cron(0 0 1 1 ? 2030,2035)',
        '2026-03-06T00:00:00.000Z',
        ['2030-01-01T00:00:00.000Z', '2035-01-01T00:00:00.000Z'],
        'listed years',
      ],
      [
        'cron(0 0 29 2 ? 2028/4)',
        '2026-03-06T00:00:00.000Z',
        ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z', '2036-02-29T00:00:00.000Z'],
        'a stepped year',
      ],
      [
        'cron(5,35 14 * JAN,JUL ? *)',
        '2026-06-30T23:00:00.000Z',
        ['2026-07-01T14:05:00.000Z', '2026-07-01T14:35:00.000Z', '2026-07-02T14:05:00.000Z'],
        'lists of minutes and month names',
      ],
    ])('%s after %s', (expression, after, expected, _meaning) => {
      expect(() => validateCron(expression, 'UTC')).not.toThrow();
      expect(runs(expression, 'UTC', after, expected.length + 1).slice(0, expected.length)).toEqual(expected);
    });

    it('has no run after its last year', () => {
      expect(runs('cron(15 10 ? * 6L 2026-2027)', 'UTC', '2027-12-31T10:15:00.000Z', 5)).toEqual([]);
      expect(runs('cron(0 0 1 1 ? 2030,2035)', 'UTC', '2030-01-01T00:00:00.000Z', 5)).toEqual([
        '2035-01-01T00:00:00.000Z',
      ]);
    });
  });

  describe('runs across DST: the same contract as every cron', () => {
    it.each([
      // zone, expression, after, until, runs
      [
        'America/New_York',
        'cron(30 2 * * ? *)',
        '2026-03-07T00:00:00.000Z',
        '2026-03-10T00:00:00.000Z',
        // 02:30 EST; 8 March skips 02:00-03:00, so once at 03:00 EDT; 02:30 EDT
        ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
      ],
      [
        'America/New_York',
        'cron(0 2 ? * SUN *)',
        '2026-03-01T12:00:00.000Z',
        '2026-03-16T00:00:00.000Z',
        // Sundays at 02:00: 1 March EST, 8 March moved to 03:00 EDT, 15 March EDT
        ['2026-03-08T07:00:00.000Z', '2026-03-15T06:00:00.000Z'],
      ],
      [
        'America/New_York',
        'cron(30 1 * * ? *)',
        '2026-10-31T00:00:00.000Z',
        '2026-11-03T00:00:00.000Z',
        // 01:30 occurs twice on 1 November: only its first occurrence (EDT) runs
        ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
      ],
      [
        'Europe/London',
        'cron(30 1 L * ? *)',
        '2026-03-01T00:00:00.000Z',
        '2026-04-01T00:00:00.000Z',
        // 31 March is after the change (29 March): 01:30 BST
        ['2026-03-31T00:30:00.000Z'],
      ],
      [
        'Europe/London',
        'cron(30 1 ? * 1L *)',
        '2026-03-01T00:00:00.000Z',
        '2026-04-01T00:00:00.000Z',
        // the last Sunday of March is the change itself: 01:30 does not exist, so 02:00 BST
        ['2026-03-29T01:00:00.000Z'],
      ],
    ])('%s %s', (zone, expression, after, until, expected) => {
      expect(cronRunsBetween(expression, zone, ms(after), ms(until), 100).map(iso)).toEqual(expected);
    });

    it.each([
      // zone, local day's first and next day's first instant, runs of cron(0 * * * ? *), cron(0/30 * * * ? *)
      ['America/New_York', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23, 46],
      ['America/New_York', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 25, 50],
      ['Europe/London', '2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z', 25, 50],
    ])(
      'recurring hours run at every real instant in %s (from %s)',
      (zone, start, end, hourly, halfHourly) => {
        const onDay = (expression: string) =>
          cronRunsBetween(expression, zone, ms(start) - 1, ms(end) - 1, 1000);
        expect(onDay('cron(0 * * * ? *)')).toHaveLength(hourly);
        expect(onDay('cron(0/30 * * * ? *)')).toHaveLength(halfHourly);
        expect(onDay('cron(0 * * * ? *)')).toEqual(onDay('0 * * * *'));
      },
    );
  });

  describe('syntax', () => {
    it.each([
      'cron(0 10 * * ? *)',
      'cron(0 10 ? * * *)',
      'cron(0/5 8-17 ? * MON-FRI *)',
      'cron(0 0 ? * sun,sat *)',
      'cron(0 0 L * ? 2026)',
      'cron(0 0 lw * ? *)',
      'cron(0 0 ? * 7L *)',
      'cron(0 0 ? * FRI#3 *)',
      'cron(0 0 1-15/2 JAN-JUN ? 2026-2030/2)',
      ' cron( 0 10 * * ? * ) ',
    ])('accepts %j', (expression) => {
      expect(() => validateCron(expression, 'UTC')).not.toThrow();
    });

    it.each([
      ['cron(0 10 * * * *)', 'day-of-month and day-of-week cannot both be set: use ? in one of them'],
      ['cron(0 10 15 * MON *)', 'day-of-month and day-of-week cannot both be set: use ? in one of them'],
      ['cron(0 10 ? * ? *)', 'one of day-of-month and day-of-week must be a value or *, the other ?'],
      ['cron(? 10 * * ? *)', '"?" is allowed only in day-of-month or day-of-week'],
      ['cron(0 10 * * ? ?)', '"?" is allowed only in day-of-month or day-of-week'],
      ['cron(0 10 * * ?1 *)', '"?" must stand alone in its field'],
      [
        'cron(0 10 * * ?)',
        'expected 6 fields inside cron(...) (minutes hours day-of-month month day-of-week year), got 5',
      ],
      [
        'cron(0 0 10 * * ? *)',
        'expected 6 fields inside cron(...) (minutes hours day-of-month month day-of-week year), got 7',
      ],
      [
        'cron()',
        'expected 6 fields inside cron(...) (minutes hours day-of-month month day-of-week year), got 0',
      ],
      ['cron(0 10 * * ? *', 'write it as cron(minutes hours day-of-month month day-of-week year)'],
      ['cron(60 10 * * ? *)', 'minute must be 0-59'],
      ['cron(0 24 * * ? *)', 'hour must be 0-23'],
      ['cron(0 0 32 * ? *)', 'day-of-month must be 1-31'],
      ['cron(0 0 * 13 ? *)', 'month must be 1-12'],
      ['cron(0 0 ? * 0 *)', 'day-of-week must be 1-7 or SUN-SAT (1 is Sunday)'],
      ['cron(0 0 ? * 8 *)', 'day-of-week must be 1-7 or SUN-SAT (1 is Sunday)'],
      ['cron(0 0 ? * FRI-MON *)', 'day-of-week range "FRI-MON" runs backwards'],
      ['cron(0 0 ? * 3#6 *)', 'day-of-week occurrence in "3#6" must be 1-5'],
      [
        'cron(0 0 ? * 3#1,6#3 *)',
        'day-of-week "3#1,6#3": # takes one weekday and one occurrence, as in 3#2, alone',
      ],
      ['cron(0 0 ? * 2,L *)', 'day-of-week "2,L": L stands alone, or after one weekday as in 6L'],
      ['cron(0 0 1-5W * ? *)', 'day-of-month "1-5W": W follows a single day, as in 15W'],
      ['cron(0 0 L-3 * ? *)', 'day-of-month "L-3": L, LW and 15W stand alone in the field'],
      ['cron(0 0 1,L * ? *)', 'day-of-month "1,L": L, LW and 15W stand alone in the field'],
      ['cron(0 0 * * ? 1969)', 'year must be 1970-2199'],
      ['cron(0 0 * * ? 2200)', 'year must be 1970-2199'],
      ['cron(0 0 30 2 ? *)', 'never matches: day-of-month "30" does not occur in month "2" of year "*"'],
      [
        'cron(0 0 29 2 ? 2027)',
        'never matches: day-of-month "29" does not occur in month "2" of year "2027"',
      ],
    ])('rejects %j: %s', (expression, problem) => {
      const error = thrown(() => validateCron(expression, 'UTC'));
      expect(error).toBeInstanceOf(InvalidSchedule);
      expect(error).toMatchObject({
        message: `invalid cron expression "${expression}": ${problem}`,
        details: [{ path: 'schedule.expression', message: problem }],
      });
    });
  });

  describe('agreement with the classic dialect where both can say the same', () => {
    // cron(m h dom mon ? *) is classic `m h dom mon *`; cron(m h ? mon dow *) is classic
    // `m h * mon dow-1` (EventBridge counts Sunday as 1, classic cron as 0). cron.test.ts checks the
    // classic dialect against cron-parser.
    /** A field as text, its numbers shifted by `shift` (day-of-week: EventBridge 1-7 → classic 0-6). */
    type Field = (shift: number) => string;
    const field = (min: number, max: number): fc.Arbitrary<Field> =>
      fc.oneof(
        fc.constant(() => '*'),
        fc.integer({ min, max }).map((v) => (shift: number) => String(v + shift)),
        fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(
          ([a, b]) =>
            (shift: number) =>
              `${Math.min(a, b) + shift}-${Math.max(a, b) + shift}`,
        ),
        fc
          .uniqueArray(fc.integer({ min, max }), { minLength: 2, maxLength: 4 })
          .map((values) => (shift: number) => values.map((v) => v + shift).join(',')),
      );
    const pair = fc
      .record({
        minute: field(0, 59),
        hour: field(0, 23),
        dayOfMonth: field(1, 28),
        month: field(1, 12),
        dayOfWeek: field(1, 7),
        byWeek: fc.boolean(),
      })
      .map(({ minute, hour, dayOfMonth, month, dayOfWeek, byWeek }) => {
        const [m, h, mon] = [minute(0), hour(0), month(0)];
        return byWeek
          ? {
              eb: `cron(${m} ${h} ? ${mon} ${dayOfWeek(0)} *)`,
              classic: `${m} ${h} * ${mon} ${dayOfWeek(-1)}`,
            }
          : {
              eb: `cron(${m} ${h} ${dayOfMonth(0)} ${mon} ? *)`,
              classic: `${m} ${h} ${dayOfMonth(0)} ${mon} *`,
            };
      });
    const instant = fc.integer({ min: Date.UTC(2020, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 });

    it('finds the same runs for random expressions, in UTC and in New York', () => {
      fc.assert(
        fc.property(
          pair,
          instant,
          fc.constantFrom('UTC', 'America/New_York'),
          ({ eb, classic }, seconds, zone) => {
            const from = seconds * 1000 + 500;
            expect(nextCronRun(eb, zone, from)).toBe(nextCronRun(classic, zone, from));
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});

describe('EventBridge Scheduler at(...)', () => {
  it.each([
    // at, zone, instant
    ['at(2026-07-01T09:00:00)', 'UTC', '2026-07-01T09:00:00.000Z'],
    ['at(2026-07-01T09:00:00)', 'Europe/London', '2026-07-01T08:00:00.000Z'],
    ['at(2026-01-15T09:00:00)', 'Europe/London', '2026-01-15T09:00:00.000Z'],
    ['at(2026-07-01T09:00:00)', 'Asia/Kolkata', '2026-07-01T03:30:00.000Z'],
    // skipped by the spring change: the first instant after the gap (03:00 EDT)
    ['at(2026-03-08T02:30:00)', 'America/New_York', '2026-03-08T07:00:00.000Z'],
    // repeated by the autumn change: its first occurrence (01:30 EDT)
    ['at(2026-11-01T01:30:00)', 'America/New_York', '2026-11-01T05:30:00.000Z'],
    // Lord Howe's 30-minute change: 02:15 does not exist on 4 October, 02:30 +11 does
    ['at(2026-10-04T02:15:00)', 'Australia/Lord_Howe', '2026-10-03T15:30:00.000Z'],
    ['at(2026-12-31T23:59:59)', 'Pacific/Kiritimati', '2026-12-31T09:59:59.000Z'],
  ])('%s in %s is %s', (at, zone, instant) => {
    expect(isAtExpression(at)).toBe(true);
    expect(iso(instantOfLocal(parseAtExpression(at), zone))).toBe(instant);
  });

  it.each([
    ['at(2026-02-30T09:00:00)', 'at(2026-02-30T09:00:00) is not a real date and time'],
    ['at(2026-07-01T24:00:00)', 'at(2026-07-01T24:00:00) is not a real date and time'],
    ['at(2026-07-01T09:00:60)', 'at(2026-07-01T09:00:60) is not a real date and time'],
    [
      'at(2026-07-01 09:00:00)',
      expect.stringContaining('must be an ISO-8601 instant or at(yyyy-mm-ddThh:mm:ss)'),
    ],
    [
      'at(2026-07-01T09:00)',
      expect.stringContaining('must be an ISO-8601 instant or at(yyyy-mm-ddThh:mm:ss)'),
    ],
    [
      'at(2026-07-01T09:00:00Z)',
      expect.stringContaining('must be an ISO-8601 instant or at(yyyy-mm-ddThh:mm:ss)'),
    ],
  ])('rejects %j', (at, problem) => {
    const error = thrown(() => parseAtExpression(at));
    expect(error).toBeInstanceOf(InvalidSchedule);
    expect(error).toMatchObject({ details: [{ path: 'schedule.at', message: problem }] });
  });

  it('reads an ISO instant as not an at(...) expression', () => {
    expect(isAtExpression('2026-07-01T09:00:00.000Z')).toBe(false);
  });
});

describe('EventBridge Scheduler rate(...)', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(1 hour)', 3600],
    ['rate(12 hours)', 12 * 3600],
    ['rate(1 day)', 86_400],
    ['rate(7 days)', 7 * 86_400],
    ['rate(366 days)', 366 * 86_400],
    [' rate( 5  minutes ) ', 300],
  ])('%s is %i s', (expression, seconds) => {
    expect(parseRateExpression(expression)).toBe(seconds);
  });

  it.each([
    ['rate(5)', 'must be rate(value unit), as in rate(5 minutes)'],
    ['every 5 minutes', 'must be rate(value unit), as in rate(5 minutes)'],
    ['rate(0 minutes)', 'rate value "0" must be a whole number of at least 1'],
    ['rate(1.5 hours)', 'rate value "1.5" must be a whole number of at least 1'],
    ['rate(-5 minutes)', 'rate value "-5" must be a whole number of at least 1'],
    ['rate(5 seconds)', 'rate unit "seconds" must be minute(s), hour(s) or day(s)'],
    ['rate(2 weeks)', 'rate unit "weeks" must be minute(s), hour(s) or day(s)'],
    ['rate(1 minutes)', 'a rate of 1 takes a singular unit: rate(1 minute)'],
    ['rate(1 hours)', 'a rate of 1 takes a singular unit: rate(1 hour)'],
    ['rate(5 minute)', 'a rate above 1 takes a plural unit: rate(5 minutes)'],
    ['rate(2 day)', 'a rate above 1 takes a plural unit: rate(2 days)'],
    ['rate(367 days)', 'rate must be at most 366 days'],
  ])('rejects %j: %s', (expression, problem) => {
    const error = thrown(() => parseRateExpression(expression));
    expect(error).toBeInstanceOf(InvalidSchedule);
    expect(error).toMatchObject({ details: [{ path: 'schedule.expression', message: problem }] });
  });

  it('keeps DST out of a rate: a day is 24 hours', () => {
    expect(parseRateExpression('rate(1 day)') * 1000).toBe(24 * HOUR);
  });
});
