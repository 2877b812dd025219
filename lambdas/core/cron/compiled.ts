/**
 * A cron expression compiled to lookup tables, whichever dialect it was written in (classic
 * `m h dom mon dow` or EventBridge Scheduler's `cron(m h dom mon dow year)`). The wall-clock
 * matcher (wall-clock.ts) reads only this shape.
 */

/**
 * The allowed values of one field: `next[v]` is the least allowed value >= v and `prev[v]` the
 * greatest allowed value <= v, or -1 when there is none.
 */
export interface ValueSet {
  next: Int16Array;
  prev: Int16Array;
}

/**
 * Which days of a month match. Classic cron (cron-parser, Vixie cron): when both day-of-month and
 * day-of-week are restricted (neither is `*` or `?`), a day matches if EITHER does, so `0 0 13 * 5`
 * runs on every 13th and every Friday. EventBridge always leaves one of the two as `?`.
 */
export interface DayRule {
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
  daysOfMonth: boolean[];
  /** `L`: the last day of the month. */
  lastDayOfMonth: boolean;
  /** `15W`: the weekday (Monday-Friday) nearest the 15th, without leaving the month. */
  nearestWeekdays: number[];
  /** `LW`: the last weekday (Monday-Friday) of the month. */
  lastWeekdayOfMonth: boolean;
  /** weekdays[w] for w = 0 (Sunday) - 6 (Saturday). */
  weekdays: boolean[];
  /** nthWeekdays[w] is a bit set of the occurrences (1-5) of weekday w that match (`w#n`). */
  nthWeekdays: number[];
  /** `5L` (classic) or `6L` (EventBridge): the last Friday of the month. */
  lastWeekdays: boolean[];
}

/** Allowed years as an offset table from `first`; null means every year. */
export interface YearSet {
  first: number;
  values: ValueSet;
}

export interface CompiledCron {
  expression: string;
  second: ValueSet;
  minute: ValueSet;
  hour: ValueSet;
  month: ValueSet;
  day: DayRule;
  year: YearSet | null;
  /** True when the hour field names specific hours: such runs move out of DST gaps and run once in overlaps. */
  fixedLocalTime: boolean;
  /** The fields an error about an expression that never matches names. */
  rawFields: { dayOfMonth: string; month: string; year?: string };
}

/**
 * What the zone layer needs of an expression: its wall-clock matches (local date-times encoded as
 * UTC epoch ms) and whether its hours are fixed. wall-clock.ts provides it for compiled expressions;
 * bench/cron-engine.ts plugs cron-parser in here to compare the two.
 */
export interface WallClockRule {
  fixedLocalTime: boolean;
  /** The earliest match at or after `from` and before `until`, or null. */
  nextMatch(from: number, until: number): number | null;
  /** The latest match at or before `from` and at or after `notBefore`, or null. */
  prevMatch(from: number, notBefore: number): number | null;
}

/** A syntax problem in one field; the message names the field and is shown to the user as is. */
export class CronSyntaxError extends Error {}

export function valueSetOf(allowed: readonly boolean[], max: number): ValueSet {
  const next = new Int16Array(max + 2).fill(-1);
  const prev = new Int16Array(max + 1).fill(-1);
  let nearest = -1;
  for (let v = max; v >= 0; v--) {
    if (allowed[v]) nearest = v;
    next[v] = nearest;
  }
  nearest = -1;
  for (let v = 0; v <= max; v++) {
    if (allowed[v]) nearest = v;
    prev[v] = nearest;
  }
  return { next, prev };
}

/** A day rule that matches every day. */
export function everyDay(): DayRule {
  return {
    anyDayOfMonth: true,
    anyDayOfWeek: true,
    daysOfMonth: [],
    lastDayOfMonth: false,
    nearestWeekdays: [],
    lastWeekdayOfMonth: false,
    weekdays: [],
    nthWeekdays: [0, 0, 0, 0, 0, 0, 0],
    lastWeekdays: [],
  };
}
