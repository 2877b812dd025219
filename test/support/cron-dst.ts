import { cronRunsBetween } from '../../lambdas/core/cron.js';
import { iso, MINUTE, ms } from '../../lambdas/core/time.js';

/**
 * The DST contract (docs/time-semantics.md), checked on both 2026 transitions of:
 * - America/New_York: 1-hour shifts, northern hemisphere;
 * - Europe/London: 1-hour shifts at 01:00 UTC, including a zone whose standard offset is 0;
 * - Australia/Lord_Howe: 30-minute shifts, southern hemisphere (spring in October, autumn in April);
 * - Australia/Sydney: 1-hour shifts, southern hemisphere;
 * - Asia/Kolkata (+05:30, no DST) and UTC: nothing moves.
 */

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

export function offsetMinutes(zone: string, instant: number): number {
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
export function wallClock(zone: string, instant: number): string {
  return iso(instant + offsetMinutes(zone, instant) * MINUTE)
    .slice(0, 19)
    .replace('T', ' ');
}

export const runsIn = (expression: string, zone: string, after: string, until: string) =>
  cronRunsBetween(expression, zone, ms(after), ms(until), 1000).map(iso);

/** Runs on the local day [start, end), given as UTC instants. */
export const runsOnLocalDay = (expression: string, zone: string, start: string, end: string) =>
  cronRunsBetween(expression, zone, ms(start) - 1, ms(end) - 1, 1000);
