import { describe, expect, it } from 'vitest';
import { DAY, HOUR, iso, MINUTE, ms, SECOND } from '../../../../lambdas/core/time.js';
import { offsetMinutes, runsIn, runsOnLocalDay, wallClock } from '../../../support/cron-dst.js';

/** The DST contract (docs/time-semantics.md): see test/support/cron-dst.ts for the zones and helpers. */
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
});
