import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { cronRunsBetween, latestCronRunAtOrBefore, nextCronRun } from '../../../../lambdas/core/cron.js';
import { HOUR, iso, MINUTE, ms, SECOND } from '../../../../lambdas/core/time.js';
import { offsetMinutes, runsIn } from '../../../support/cron-dst.js';

/** The DST contract (docs/time-semantics.md): see test/support/cron-dst.ts for the zones and helpers. */
describe('cron', () => {
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
