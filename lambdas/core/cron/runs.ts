/**
 * Runs: real instants, from wall-clock matches and a zone's offsets, under the DST contract of
 * docs/time-semantics.md. Within one offset span, local time = instant + offset, so the span's runs
 * are its wall-clock matches shifted back by the offset. At the span's opening transition:
 * - a gap (offset grows): fixed local times that fall in it run once, at the transition;
 * - an overlap (offset shrinks): fixed local times already seen before it are not run again.
 * Recurring hours (`*` or a step in the hour field) simply run at every real matching instant.
 */
import { DAY } from '../time.js';
import { type CompiledCron, everyDay, valueSetOf, type WallClockRule } from './compiled.js';
import { wallClockRule } from './wall-clock.js';
import { MAX_OFFSET_CHANGE_MS, type Transition, type ZoneOffsets } from './zone.js';

/** How far ahead nextRun looks: 10 years (with up to 3 leap days) + 1 day. */
export const CRON_LOOKAHEAD_MS = (10 * 365 + 3 + 1) * DAY;
/** How far back latestRun looks: 10 years (with up to 3 leap days). */
export const CRON_LOOKBACK_MS = (10 * 365 + 3) * DAY;
/** The calendar repeats every 400 years: a wall-clock match further away than that never comes. */
const GREGORIAN_CYCLE_MS = 146_097 * DAY;

/** True when a fixed-local-time run lands on the transition because its local time was skipped. */
function runsAtGap(cron: WallClockRule, transition: Transition | null): transition is Transition {
  if (transition === null || !cron.fixedLocalTime || transition.offsetAfter <= transition.offsetBefore) {
    return false;
  }
  const gapStart = transition.at + transition.offsetBefore;
  return cron.nextMatch(gapStart, transition.at + transition.offsetAfter) !== null;
}

/** The earliest local time a span may run at, skipping the second pass over a repeated interval. */
function spanLocalStart(cron: WallClockRule, transition: Transition | null, localStart: number): number {
  if (transition === null || !cron.fixedLocalTime || transition.offsetAfter >= transition.offsetBefore) {
    return localStart;
  }
  return Math.max(localStart, transition.at + transition.offsetBefore);
}

/** The first run strictly after `afterMs`, or null if there is none within `horizonMs`. */
export function nextRun(
  cron: WallClockRule,
  zone: ZoneOffsets,
  afterMs: number,
  horizonMs = CRON_LOOKAHEAD_MS,
): number | null {
  const limit = afterMs + horizonMs;
  let from = Math.floor(afterMs) + 1;
  while (from <= limit) {
    const offset = zone.offsetAt(from);
    const opening = zone.lastTransitionAtOrBefore(from, from - MAX_OFFSET_CHANGE_MS);
    if (opening?.at === from && runsAtGap(cron, opening)) return from;
    const closing = zone.firstTransitionAfter(from, limit);
    const spanEnd = closing === null ? limit + 1 : closing.at;
    const localFrom = spanLocalStart(cron, opening, from + offset);
    const match = cron.nextMatch(localFrom, spanEnd + offset);
    if (match !== null) return match - offset;
    from = spanEnd;
  }
  return null;
}

/** Most schedules run within this of any instant: searched span by span before jumping ahead. */
const NEAR_MS = 35 * DAY;
/** Around a wall-clock match found far ahead, the stretch searched span by span for its run. */
const AROUND_MATCH_MS = 4 * DAY;

/**
 * The first run strictly after `afterMs` however far away (the fifth Monday of February comes
 * every 28 or 40 years), or null when the expression never matches again. Beyond the first weeks
 * it jumps from one wall-clock match to the next and looks for the run only around each, so a
 * distant run costs a few searches and the zone's offsets for the years it lands in, not a walk
 * through every year between.
 */
export function nextRunAnyTime(cron: WallClockRule, zone: ZoneOffsets, afterMs: number): number | null {
  const near = nextRun(cron, zone, afterMs, NEAR_MS);
  if (near !== null) return near;
  const stop = afterMs + GREGORIAN_CYCLE_MS + CRON_LOOKAHEAD_MS;
  // Nothing in (afterMs, searched]. Local times run at most a day either side of UTC, so a run
  // after `searched` has a local time after `searched - DAY`, and lies after its match - 2 days.
  let searched = afterMs + NEAR_MS;
  for (;;) {
    const match = cron.nextMatch(searched - DAY, stop);
    if (match === null) return null;
    const from = Math.max(searched, match - 2 * DAY);
    const run = nextRun(cron, zone, from, AROUND_MATCH_MS);
    if (run !== null) return run;
    searched = from + AROUND_MATCH_MS;
  }
}

/** The latest run at or before `atMs`, or null if none within CRON_LOOKBACK_MS. */
export function latestRun(cron: WallClockRule, zone: ZoneOffsets, atMs: number): number | null {
  const limit = atMs - CRON_LOOKBACK_MS;
  let to = Math.floor(atMs);
  while (to >= limit) {
    const offset = zone.offsetAt(to);
    const opening = zone.lastTransitionAtOrBefore(to, limit);
    const spanStart = opening === null ? limit : opening.at;
    const localFrom = spanLocalStart(cron, opening, spanStart + offset);
    const match = cron.prevMatch(to + offset, localFrom);
    if (match !== null) return match - offset;
    if (runsAtGap(cron, opening)) return opening.at;
    to = spanStart - 1;
  }
  return null;
}

/**
 * The instant a local date-time names in a zone, under the same DST rules as a fixed-time cron run:
 * a skipped local time is the first instant after the gap, a repeated one its first occurrence.
 * `local` is the wall-clock time encoded as UTC epoch ms, whole seconds.
 */
export function instantOfLocalTime(zone: ZoneOffsets, local: number): number {
  const at = new Date(local);
  const only = (value: number, max: number) => valueSetOf(Object.assign([], { [value]: true }), max);
  const day = everyDay();
  day.anyDayOfMonth = false;
  day.daysOfMonth[at.getUTCDate()] = true;
  const year = at.getUTCFullYear();
  const cron: CompiledCron = {
    expression: at.toISOString(),
    second: only(at.getUTCSeconds(), 59),
    minute: only(at.getUTCMinutes(), 59),
    hour: only(at.getUTCHours(), 23),
    month: only(at.getUTCMonth() + 1, 12),
    day,
    year: { first: year, values: only(0, 0) },
    fixedLocalTime: true,
    rawFields: { dayOfMonth: String(at.getUTCDate()), month: String(at.getUTCMonth() + 1) },
  };
  // Every zone's offset is within a day of UTC, so the instant lies after `local - 2 days`.
  const run = nextRun(wallClockRule(cron), zone, local - 2 * DAY);
  if (run === null) throw new Error(`no instant for the local time ${cron.expression}`);
  return run;
}
