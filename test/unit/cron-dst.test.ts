import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { cronRunsBetween, latestCronRunAtOrBefore, nextCronRun } from '../../lambdas/core/cron.js';
import { DAY, HOUR, iso, MINUTE, ms, SECOND } from '../../lambdas/core/time.js';

/**
 * The DST contract (docs/time-semantics.md), checked on both 2026 transitions of:
 * - America/New_York: 1-hour shifts, northern hemisphere;
 * - Europe/London: 1-hour shifts at 01:00 UTC, including a zone whose standard offset is 0;
 * - Australia/Lord_Howe: 30-minute shifts, southern hemisphere (spring in October, autumn in April);
 * - Australia/Sydney: 1-hour shifts, southern hemisphere;
 * - Asia/Kolkata (+05:30, no DST) and UTC: nothing moves.
 */

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function offsetMinutes(zone: string, instant: number): number {
  let format = offsetFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, format);
  }
  const text = format.format(instant);
  const match = /GMT(?:([+-])(\d\d):(\d\d))?$/.exec(text);
  const minutes = Number(match?.[2] ?? 0) * 60 + Number(match?.[3] ?? 0);
  return match?.[1] === '-' ? -minutes : minutes;
}

/** Local wall-clock time, `YYYY-MM-DD HH:mm:ss`, read from Intl. */
function wallClock(zone: string, instant: number): string {
  return iso(instant + offsetMinutes(zone, instant) * MINUTE)
    .slice(0, 19)
    .replace('T', ' ');
}

const runsIn = (expression: string, zone: string, after: string, until: string) =>
  cronRunsBetween(expression, zone, ms(after), ms(until), 1000).map(iso);

/** Runs on the local day [start, end), given as UTC instants. */
const runsOnLocalDay = (expression: string, zone: string, start: string, end: string) =>
  cronRunsBetween(expression, zone, ms(start) - 1, ms(end) - 1, 1000);

describe('cron', () => {
  describe('time zone data the tables below rely on (read from Intl, not assumed)', () => {
    it.each([
      // zone, first instant of the new offset, offset before, offset after (minutes east of UTC)
      ['America/New_York', '2026-03-08T07:00:00.000Z', -300, -240],
      ['America/New_York', '2026-11-01T06:00:00.000Z', -240, -300],
      ['Europe/London', '2026-03-29T01:00:00.000Z', 0, 60],
      ['Europe/London', '2026-10-25T01:00:00.000Z', 60, 0],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00.000Z', 660, 630],
      ['Australia/Lord_Howe', '2026-10-03T15:30:00.000Z', 630, 660],
      ['Australia/Sydney', '2026-04-04T16:00:00.000Z', 660, 600],
      ['Australia/Sydney', '2026-10-03T16:00:00.000Z', 600, 660],
      ['Asia/Kolkata', '2026-03-08T07:00:00.000Z', 330, 330],
      ['Asia/Kolkata', '2026-11-01T06:00:00.000Z', 330, 330],
      ['UTC', '2026-03-08T07:00:00.000Z', 0, 0],
    ])('%s changes offset at %s: %i → %i', (zone, at, before, after) => {
      expect(offsetMinutes(zone, ms(at) - SECOND)).toBe(before);
      expect(offsetMinutes(zone, ms(at))).toBe(after);
      expect(offsetMinutes(zone, ms(at) - DAY)).toBe(before);
      expect(offsetMinutes(zone, ms(at) + DAY)).toBe(after);
    });
  });

  describe('a fixed local time in a skipped interval runs once, at the first instant after the gap', () => {
    it.each([
      // zone, expression, runs on the day before, the transition day and the day after
      [
        'America/New_York',
        '30 2 * * *',
        ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
      ],
      [
        'America/New_York',
        '0 2 * * *',
        ['2026-03-07T07:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z'],
      ],
      [
        'America/New_York',
        '15 2 * * *',
        ['2026-03-07T07:15:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:15:00.000Z'],
      ],
      [
        'America/New_York',
        '45 2 * * *',
        ['2026-03-07T07:45:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:45:00.000Z'],
      ],
      [
        'America/New_York',
        '*/20 2 * * *',
        [
          '2026-03-07T07:00:00.000Z',
          '2026-03-07T07:20:00.000Z',
          '2026-03-07T07:40:00.000Z',
          '2026-03-08T07:00:00.000Z',
          '2026-03-09T06:00:00.000Z',
          '2026-03-09T06:20:00.000Z',
          '2026-03-09T06:40:00.000Z',
        ],
      ],
      [
        'America/New_York',
        '0 2,3 * * *',
        [
          '2026-03-07T07:00:00.000Z',
          '2026-03-07T08:00:00.000Z',
          '2026-03-08T07:00:00.000Z',
          '2026-03-09T06:00:00.000Z',
          '2026-03-09T07:00:00.000Z',
        ],
      ],
      [
        'Europe/London',
        '30 1 * * *',
        ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
      ],
      [
        'Australia/Lord_Howe',
        '15 2 * * *',
        ['2026-10-02T15:45:00.000Z', '2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z'],
      ],
      [
        'Australia/Lord_Howe',
        '0 2 * * *',
        ['2026-10-02T15:30:00.000Z', '2026-10-03T15:30:00.000Z', '2026-10-04T15:00:00.000Z'],
      ],
      [
        'Australia/Sydney',
        '30 2 * * *',
        ['2026-10-02T16:30:00.000Z', '2026-10-03T16:00:00.000Z', '2026-10-04T15:30:00.000Z'],
      ],
      [
        'Asia/Kolkata',
        '30 2 * * *',
        ['2026-03-06T21:00:00.000Z', '2026-03-07T21:00:00.000Z', '2026-03-08T21:00:00.000Z'],
      ],
      [
        'UTC',
        '30 2 * * *',
        ['2026-03-07T02:30:00.000Z', '2026-03-08T02:30:00.000Z', '2026-03-09T02:30:00.000Z'],
      ],
    ])('%s %s', (zone, expression, runs) => {
      const first = runs[0] ?? '';
      expect(runsIn(expression, zone, iso(ms(first) - HOUR), iso(ms(first) + 2 * DAY + 12 * HOUR))).toEqual(
        runs,
      );
    });

    it('lands at the local time right after the gap', () => {
      expect(wallClock('America/New_York', ms('2026-03-08T07:00:00.000Z'))).toBe('2026-03-08 03:00:00');
      expect(wallClock('Europe/London', ms('2026-03-29T01:00:00.000Z'))).toBe('2026-03-29 02:00:00');
      expect(wallClock('Australia/Lord_Howe', ms('2026-10-03T15:30:00.000Z'))).toBe('2026-10-04 02:30:00');
      expect(wallClock('Australia/Sydney', ms('2026-10-03T16:00:00.000Z'))).toBe('2026-10-04 03:00:00');
    });
  });

  describe('a fixed local time that occurs twice runs once, at its first occurrence', () => {
    it.each([
      [
        'America/New_York',
        '30 1 * * *',
        ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
      ],
      [
        'America/New_York',
        '*/20 1 * * *',
        [
          '2026-10-31T05:00:00.000Z',
          '2026-10-31T05:20:00.000Z',
          '2026-10-31T05:40:00.000Z',
          '2026-11-01T05:00:00.000Z',
          '2026-11-01T05:20:00.000Z',
          '2026-11-01T05:40:00.000Z',
          '2026-11-02T06:00:00.000Z',
          '2026-11-02T06:20:00.000Z',
          '2026-11-02T06:40:00.000Z',
        ],
      ],
      [
        'Europe/London',
        '30 1 * * *',
        ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
      ],
      [
        'Australia/Lord_Howe',
        '45 1 * * *',
        ['2026-04-03T14:45:00.000Z', '2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z'],
      ],
      [
        'Australia/Sydney',
        '30 2 * * *',
        ['2026-04-03T15:30:00.000Z', '2026-04-04T15:30:00.000Z', '2026-04-05T16:30:00.000Z'],
      ],
      [
        'Asia/Kolkata',
        '30 1 * * *',
        ['2026-10-30T20:00:00.000Z', '2026-10-31T20:00:00.000Z', '2026-11-01T20:00:00.000Z'],
      ],
      [
        'UTC',
        '30 1 * * *',
        ['2026-10-31T01:30:00.000Z', '2026-11-01T01:30:00.000Z', '2026-11-02T01:30:00.000Z'],
      ],
    ])('%s %s', (zone, expression, runs) => {
      const first = runs[0] ?? '';
      expect(runsIn(expression, zone, iso(ms(first) - HOUR), iso(ms(first) + 2 * DAY + 12 * HOUR))).toEqual(
        runs,
      );
    });

    it('skips the second occurrence, whose local time is the same', () => {
      expect(wallClock('America/New_York', ms('2026-11-01T05:30:00.000Z'))).toBe('2026-11-01 01:30:00');
      expect(wallClock('America/New_York', ms('2026-11-01T06:30:00.000Z'))).toBe('2026-11-01 01:30:00');
      expect(wallClock('Australia/Lord_Howe', ms('2026-04-04T14:45:00.000Z'))).toBe('2026-04-05 01:45:00');
      expect(wallClock('Australia/Lord_Howe', ms('2026-04-04T15:15:00.000Z'))).toBe('2026-04-05 01:45:00');
    });
  });

  describe('a wildcard or stepped hour runs at every real matching instant', () => {
    // Lord Howe moves by 30 minutes: its spring-forward day loses 02:00-02:30 (so `0 * * * *` misses
    // 02:00 and runs 23 times) and its fall-back day repeats 01:30-02:00, which holds no :00
    // (so `0 * * * *` runs 24 times) but does hold :30 (so `30 * * * *` runs 25 times).
    it.each([
      // zone, local day, its first instant, the next day's first instant, runs of: hourly, `30 * * * *`, `*/30 * * * *`
      ['America/New_York', '2026-03-08', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23, 23, 46],
      ['America/New_York', '2026-11-01', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 25, 25, 50],
      ['Europe/London', '2026-03-29', '2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z', 23, 23, 46],
      ['Europe/London', '2026-10-25', '2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z', 25, 25, 50],
      [
        'Australia/Lord_Howe',
        '2026-04-05',
        '2026-04-04T13:00:00.000Z',
        '2026-04-05T13:30:00.000Z',
        24,
        25,
        49,
      ],
      [
        'Australia/Lord_Howe',
        '2026-10-04',
        '2026-10-03T13:30:00.000Z',
        '2026-10-04T13:00:00.000Z',
        23,
        24,
        47,
      ],
      ['Australia/Sydney', '2026-04-05', '2026-04-04T13:00:00.000Z', '2026-04-05T14:00:00.000Z', 25, 25, 50],
      ['Australia/Sydney', '2026-10-04', '2026-10-03T14:00:00.000Z', '2026-10-04T13:00:00.000Z', 23, 23, 46],
      ['Asia/Kolkata', '2026-03-08', '2026-03-07T18:30:00.000Z', '2026-03-08T18:30:00.000Z', 24, 24, 48],
      ['Asia/Kolkata', '2026-11-01', '2026-10-31T18:30:00.000Z', '2026-11-01T18:30:00.000Z', 24, 24, 48],
      ['UTC', '2026-03-08', '2026-03-08T00:00:00.000Z', '2026-03-09T00:00:00.000Z', 24, 24, 48],
      ['UTC', '2026-11-01', '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z', 24, 24, 48],
    ])('%s on %s', (zone, day, start, end, hourly, halfPast, halfHourly) => {
      expect(wallClock(zone, ms(start))).toBe(`${day} 00:00:00`);
      expect(wallClock(zone, ms(end))).toBe(`${iso(ms(`${day}T00:00:00.000Z`) + DAY).slice(0, 10)} 00:00:00`);
      const hourlyRuns = runsOnLocalDay('0 * * * *', zone, start, end);
      expect(hourlyRuns).toHaveLength(hourly);
      expect(runsOnLocalDay('@hourly', zone, start, end)).toEqual(hourlyRuns);
      expect(runsOnLocalDay('30 * * * *', zone, start, end)).toHaveLength(halfPast);
      const halfHourlyRuns = runsOnLocalDay('*/30 * * * *', zone, start, end);
      expect(halfHourlyRuns).toHaveLength(halfHourly);
      // Real instants: increasing, never closer than the step (no duplicates from the gap or the overlap).
      const closest = (runs: number[]) => Math.min(...runs.slice(1).map((run, i) => run - (runs[i] ?? 0)));
      expect(closest(hourlyRuns)).toBe(HOUR);
      expect(closest(halfHourlyRuns)).toBe(30 * MINUTE);
    });

    it.each([
      // zone, expression, after, until, runs (local times in the comment)
      [
        'America/New_York',
        '0 * * * *',
        '2026-03-08T05:30:00.000Z',
        '2026-03-08T08:00:00.000Z',
        // 01:00 EST, 03:00 EDT, 04:00 EDT: 02:00 does not exist
        ['2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'],
      ],
      [
        'America/New_York',
        '0 * * * *',
        '2026-11-01T04:30:00.000Z',
        '2026-11-01T07:00:00.000Z',
        // 01:00 EDT, 01:00 EST, 02:00 EST
        ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'],
      ],
      [
        'America/New_York',
        '*/30 * * * *',
        '2026-11-01T04:45:00.000Z',
        '2026-11-01T07:00:00.000Z',
        // 01:00 EDT, 01:30 EDT, 01:00 EST, 01:30 EST, 02:00 EST
        [
          '2026-11-01T05:00:00.000Z',
          '2026-11-01T05:30:00.000Z',
          '2026-11-01T06:00:00.000Z',
          '2026-11-01T06:30:00.000Z',
          '2026-11-01T07:00:00.000Z',
        ],
      ],
      [
        'America/New_York',
        '*/15 * * * *',
        '2026-03-08T06:30:00.000Z',
        '2026-03-08T07:30:00.000Z',
        // 01:45 EST, 03:00 EDT, 03:15 EDT, 03:30 EDT
        [
          '2026-03-08T06:45:00.000Z',
          '2026-03-08T07:00:00.000Z',
          '2026-03-08T07:15:00.000Z',
          '2026-03-08T07:30:00.000Z',
        ],
      ],
      [
        'America/New_York',
        '0 */2 * * *',
        '2026-03-08T04:30:00.000Z',
        '2026-03-08T10:00:00.000Z',
        // 00:00 EST, 04:00 EDT, 06:00 EDT: 02:00 does not exist and is not moved
        ['2026-03-08T05:00:00.000Z', '2026-03-08T08:00:00.000Z', '2026-03-08T10:00:00.000Z'],
      ],
      [
        'Europe/London',
        '0 * * * *',
        '2026-10-24T23:30:00.000Z',
        '2026-10-25T02:00:00.000Z',
        // 01:00 BST, 01:00 GMT, 02:00 GMT
        ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z'],
      ],
      [
        'Australia/Lord_Howe',
        '*/30 * * * *',
        '2026-04-04T14:00:00.000Z',
        '2026-04-04T16:00:00.000Z',
        // 01:30 +11, 01:30 +10:30 (again), 02:00 +10:30, 02:30 +10:30
        [
          '2026-04-04T14:30:00.000Z',
          '2026-04-04T15:00:00.000Z',
          '2026-04-04T15:30:00.000Z',
          '2026-04-04T16:00:00.000Z',
        ],
      ],
      [
        'Australia/Lord_Howe',
        '*/30 * * * *',
        '2026-10-03T14:00:00.000Z',
        '2026-10-03T16:00:00.000Z',
        // 01:00 +10:30, 01:30 +10:30, 02:30 +11, 03:00 +11: 02:00 does not exist
        [
          '2026-10-03T14:30:00.000Z',
          '2026-10-03T15:00:00.000Z',
          '2026-10-03T15:30:00.000Z',
          '2026-10-03T16:00:00.000Z',
        ],
      ],
    ])('%s %s in (%s, %s]', (zone, expression, after, until, runs) => {
      expect(runsIn(expression, zone, after, until)).toEqual(runs);
    });

    it('treats a listed range of every hour as fixed times, and a stepped one as recurring', () => {
      const [springStart, springEnd] = ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'];
      const [fallStart, fallEnd] = ['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'];
      const zone = 'America/New_York';
      // 02:00 moves to 03:00, which already runs: one run there. 01:00 runs at its first occurrence only.
      expect(runsOnLocalDay('0 0-23 * * *', zone, springStart, springEnd)).toHaveLength(23);
      expect(runsOnLocalDay('0 0-23 * * *', zone, fallStart, fallEnd)).toHaveLength(24);
      expect(runsOnLocalDay('0 0-23/1 * * *', zone, springStart, springEnd)).toHaveLength(23);
      expect(runsOnLocalDay('0 0-23/1 * * *', zone, fallStart, fallEnd)).toHaveLength(25);
      expect(runsOnLocalDay('0 */1 * * *', zone, fallStart, fallEnd)).toHaveLength(25);
    });
  });

  describe('seconds precision follows the same rules', () => {
    it.each([
      // zone, expression, after, until, runs
      [
        'America/New_York',
        '*/20 * * * * *',
        '2026-03-08T06:59:20.000Z',
        '2026-03-08T07:00:40.000Z',
        [
          '2026-03-08T06:59:40.000Z',
          '2026-03-08T07:00:00.000Z',
          '2026-03-08T07:00:20.000Z',
          '2026-03-08T07:00:40.000Z',
        ],
      ],
      [
        'America/New_York',
        '*/20 * * * * *',
        '2026-11-01T05:59:20.000Z',
        '2026-11-01T06:00:40.000Z',
        [
          '2026-11-01T05:59:40.000Z',
          '2026-11-01T06:00:00.000Z',
          '2026-11-01T06:00:20.000Z',
          '2026-11-01T06:00:40.000Z',
        ],
      ],
      // Every 20 s of 02:xx: all of it is skipped, so one run right after the gap.
      [
        'America/New_York',
        '*/20 * 2 * * *',
        '2026-03-08T06:00:00.000Z',
        '2026-03-08T09:00:00.000Z',
        ['2026-03-08T07:00:00.000Z'],
      ],
      // Every 20 s of 01:30 runs in its first occurrence only.
      [
        'America/New_York',
        '*/20 30 1 * * *',
        '2026-11-01T05:00:00.000Z',
        '2026-11-01T07:00:00.000Z',
        ['2026-11-01T05:30:00.000Z', '2026-11-01T05:30:20.000Z', '2026-11-01T05:30:40.000Z'],
      ],
      [
        'Europe/London',
        '30 30 1 * * *',
        '2026-03-29T00:00:00.000Z',
        '2026-03-29T03:00:00.000Z',
        ['2026-03-29T01:00:00.000Z'],
      ],
      [
        'Europe/London',
        '*/20 * * * * *',
        '2026-10-25T00:59:20.000Z',
        '2026-10-25T01:00:20.000Z',
        ['2026-10-25T00:59:40.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:00:20.000Z'],
      ],
      // Lord Howe skips 02:00:00-02:29:59: the skipped seconds of 02:xx land on 02:30:00, which is also a real run.
      [
        'Australia/Lord_Howe',
        '*/20 * 2 * * *',
        '2026-10-03T15:29:00.000Z',
        '2026-10-03T15:30:40.000Z',
        ['2026-10-03T15:30:00.000Z', '2026-10-03T15:30:20.000Z', '2026-10-03T15:30:40.000Z'],
      ],
      [
        'Australia/Lord_Howe',
        '*/20 * * * * *',
        '2026-10-03T15:29:20.000Z',
        '2026-10-03T15:30:20.000Z',
        ['2026-10-03T15:29:40.000Z', '2026-10-03T15:30:00.000Z', '2026-10-03T15:30:20.000Z'],
      ],
      [
        'Australia/Lord_Howe',
        '0 45 1 * * *',
        '2026-04-04T14:00:00.000Z',
        '2026-04-04T16:00:00.000Z',
        ['2026-04-04T14:45:00.000Z'],
      ],
      [
        'Australia/Lord_Howe',
        '*/20 * * * * *',
        '2026-04-04T14:59:20.000Z',
        '2026-04-04T15:00:20.000Z',
        ['2026-04-04T14:59:40.000Z', '2026-04-04T15:00:00.000Z', '2026-04-04T15:00:20.000Z'],
      ],
      [
        'Asia/Kolkata',
        '*/20 * * * * *',
        '2026-03-08T06:59:20.000Z',
        '2026-03-08T07:00:20.000Z',
        ['2026-03-08T06:59:40.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:20.000Z'],
      ],
      [
        'UTC',
        '*/20 * * * * *',
        '2026-03-08T06:59:20.000Z',
        '2026-03-08T07:00:20.000Z',
        ['2026-03-08T06:59:40.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:20.000Z'],
      ],
    ])('%s %s in (%s, %s]', (zone, expression, after, until, runs) => {
      expect(runsIn(expression, zone, after, until)).toEqual(runs);
    });
  });

  describe('nextCronRun and latestCronRunAtOrBefore across transitions', () => {
    it.each([
      // zone, expression, after, next
      ['America/New_York', '30 2 * * *', '2026-03-08T06:59:59.999Z', '2026-03-08T07:00:00.000Z'],
      ['America/New_York', '30 2 * * *', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
      ['America/New_York', '30 1 * * *', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
      ['America/New_York', '30 1 * * *', '2026-11-01T06:00:00.000Z', '2026-11-02T06:30:00.000Z'],
      ['America/New_York', '0 * * * *', '2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z'],
      ['America/New_York', '0 * * * *', '2026-11-01T05:59:59.000Z', '2026-11-01T06:00:00.000Z'],
      ['Australia/Lord_Howe', '15 2 * * *', '2026-10-03T15:29:59.000Z', '2026-10-03T15:30:00.000Z'],
      ['Australia/Lord_Howe', '15 2 * * *', '2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z'],
      ['Australia/Lord_Howe', '45 1 * * *', '2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z'],
    ])('%s %s after %s is %s', (zone, expression, after, next) => {
      expect(iso(nextCronRun(expression, zone, ms(after)) ?? 0)).toBe(next);
    });

    it.each([
      // zone, expression, at, latest
      ['America/New_York', '30 2 * * *', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:00.000Z'],
      ['America/New_York', '30 2 * * *', '2026-03-08T06:59:59.999Z', '2026-03-07T07:30:00.000Z'],
      ['America/New_York', '30 2 * * *', '2026-03-08T12:00:00.000Z', '2026-03-08T07:00:00.000Z'],
      ['America/New_York', '30 1 * * *', '2026-11-01T07:00:00.000Z', '2026-11-01T05:30:00.000Z'],
      ['America/New_York', '30 1 * * *', '2026-11-01T06:30:00.000Z', '2026-11-01T05:30:00.000Z'],
      ['America/New_York', '0 * * * *', '2026-11-01T06:30:00.000Z', '2026-11-01T06:00:00.000Z'],
      ['America/New_York', '0 * * * *', '2026-03-08T07:30:00.000Z', '2026-03-08T07:00:00.000Z'],
      ['America/New_York', '0 * * * *', '2026-03-08T06:59:59.000Z', '2026-03-08T06:00:00.000Z'],
      ['Europe/London', '30 1 * * *', '2026-03-29T01:00:00.000Z', '2026-03-29T01:00:00.000Z'],
      ['Europe/London', '30 1 * * *', '2026-10-25T02:00:00.000Z', '2026-10-25T00:30:00.000Z'],
      ['Australia/Lord_Howe', '15 2 * * *', '2026-10-03T15:45:00.000Z', '2026-10-03T15:30:00.000Z'],
      ['Australia/Lord_Howe', '45 1 * * *', '2026-04-04T15:20:00.000Z', '2026-04-04T14:45:00.000Z'],
      ['Australia/Sydney', '30 2 * * *', '2026-04-04T17:00:00.000Z', '2026-04-04T15:30:00.000Z'],
      ['Asia/Kolkata', '30 2 * * *', '2026-03-08T00:00:00.000Z', '2026-03-07T21:00:00.000Z'],
    ])('%s %s at or before %s is %s', (zone, expression, at, latest) => {
      expect(iso(latestCronRunAtOrBefore(expression, zone, ms(at)) ?? 0)).toBe(latest);
    });
  });

  describe('agreement with the contract read literally, instant by instant', () => {
    /** Every instant of a window, stepped, with its local wall-clock time (as UTC ms) read from Intl. */
    interface Window {
      step: number;
      instants: number[];
      locals: number[];
    }

    function windowAround(zone: string, at: number, halfWidth: number, step: number): Window {
      const instants: number[] = [];
      for (let instant = at - halfWidth; instant <= at + halfWidth; instant += step) instants.push(instant);
      return {
        step,
        instants,
        locals: instants.map((instant) => instant + offsetMinutes(zone, instant) * MINUTE),
      };
    }

    /**
     * A deliberately naive reading of the rules: walk every minute (or second) of the window, and
     * decide from its local time alone. Wall-clock matching comes from cron-parser evaluated in
     * UTC, where it has no DST to get wrong.
     */
    function contractRuns(expression: string, { step, instants, locals }: Window): number[] {
      const fields = expression.trim().split(/\s+/);
      const hourField = fields[fields.length === 6 ? 2 : 1] ?? '*';
      const fixedLocalTime = !(hourField === '*' || hourField.includes('/'));
      const earliest = Math.min(...locals);
      const latest = Math.max(...locals);
      const matching = new Set<number>();
      const wallClocks = CronExpressionParser.parse(expression, {
        tz: 'UTC',
        currentDate: new Date(earliest - 1),
      });
      for (let match = wallClocks.next().getTime(); match <= latest; match = wallClocks.next().getTime()) {
        matching.add(match);
      }
      const runs: number[] = [];
      const seen = new Set<number>();
      for (let i = 1; i < instants.length; i++) {
        const local = locals[i] ?? 0;
        const previousLocal = locals[i - 1] ?? 0;
        seen.add(previousLocal);
        // a real instant whose local time matches (for fixed times, only its first occurrence)
        let runsNow = matching.has(local) && !(fixedLocalTime && seen.has(local));
        // a fixed time skipped by the jump from previousLocal to local runs now
        for (let skipped = previousLocal + step; fixedLocalTime && skipped < local; skipped += step) {
          if (matching.has(skipped)) runsNow = true;
        }
        if (runsNow) runs.push(instants[i] ?? 0);
      }
      return runs;
    }

    const transitions: [string, string][] = [
      ['America/New_York', '2026-03-08T07:00:00.000Z'],
      ['America/New_York', '2026-11-01T06:00:00.000Z'],
      ['Europe/London', '2026-03-29T01:00:00.000Z'],
      ['Europe/London', '2026-10-25T01:00:00.000Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00.000Z'],
      ['Australia/Lord_Howe', '2026-10-03T15:30:00.000Z'],
      ['Australia/Sydney', '2026-04-04T16:00:00.000Z'],
      ['Australia/Sydney', '2026-10-03T16:00:00.000Z'],
      ['Asia/Kolkata', '2026-03-08T07:00:00.000Z'],
      ['UTC', '2026-11-01T06:00:00.000Z'],
    ];
    const minuteExpressions = [
      '30 2 * * *',
      '0 2 * * *',
      '15 2 * * *',
      '45 1 * * *',
      '30 1 * * *',
      '0 0 * * *',
      '* 2 * * *',
      '*/10 1-3 * * *',
      '5,35 2,3 * * *',
      '0 0-23 * * *',
      '0 * * * *',
      '30 * * * *',
      '*/15 * * * *',
      '0 */2 * * *',
      '*/7 1-3/1 * * *',
    ];
    const secondExpressions = [
      '*/20 * * * * *',
      '*/20 * 2 * * *',
      '*/20 30 1 * * *',
      '0 0 2 * * *',
      '*/30 * 1-2 * * *',
    ];

    function expectContract(expression: string, zone: string, window: Window): void {
      const expected = contractRuns(expression, window);
      const from = window.instants[0] ?? 0;
      const to = window.instants[window.instants.length - 1] ?? 0;
      expect(cronRunsBetween(expression, zone, from, to, 100_000).map(iso)).toEqual(expected.map(iso));
      expected.forEach((run, i) => {
        const previous = expected[i - 1];
        expect(nextCronRun(expression, zone, run - 1)).toBe(run);
        expect(latestCronRunAtOrBefore(expression, zone, run)).toBe(run);
        expect(latestCronRunAtOrBefore(expression, zone, (expected[i + 1] ?? run + window.step) - 1)).toBe(
          run,
        );
        if (previous !== undefined) expect(latestCronRunAtOrBefore(expression, zone, run - 1)).toBe(previous);
      });
    }

    it.each(transitions)('minute expressions over the day either side of %s %s', (zone, at) => {
      const window = windowAround(zone, ms(at), 26 * HOUR, MINUTE);
      for (const expression of minuteExpressions) expectContract(expression, zone, window);
    });

    it.each(transitions)('seconds expressions over the hour either side of %s %s', (zone, at) => {
      const window = windowAround(zone, ms(at), 75 * MINUTE, SECOND);
      for (const expression of secondExpressions) expectContract(expression, zone, window);
    });
  });
});
