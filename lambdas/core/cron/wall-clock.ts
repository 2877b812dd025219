/**
 * Wall-clock matching: the next or previous local date-time a compiled expression matches, with no
 * time zone involved. A wall-clock time is encoded as the epoch ms it would be in UTC, so Date.UTC
 * does the calendar arithmetic; the zone is applied by the caller (runs.ts). Work is bounded by the
 * months between the two bounds (each month costs at most one scan of its days).
 */
import { SECOND } from '../time.js';
import type { CompiledCron, DayRule, ValueSet, WallClockRule, YearSet } from './compiled.js';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const SATURDAY = 6;
const SUNDAY = 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 31;
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday (Monday-Friday) nearest `target` without leaving the month, or -1 if the month is shorter. */
function nearestWeekday(target: number, monthLength: number, firstWeekday: number): number {
  if (target > monthLength) return -1;
  const weekday = (firstWeekday + target - 1) % 7;
  if (weekday === SATURDAY) return target === 1 ? 3 : target - 1;
  if (weekday === SUNDAY) return target === monthLength ? target - 2 : target + 1;
  return target;
}

function byDayOfMonth(rule: DayRule, day: number, monthLength: number, firstWeekday: number): boolean {
  if (rule.daysOfMonth[day] === true || (rule.lastDayOfMonth && day === monthLength)) return true;
  if (rule.lastWeekdayOfMonth && day === nearestWeekday(monthLength, monthLength, firstWeekday)) return true;
  return rule.nearestWeekdays.some((target) => nearestWeekday(target, monthLength, firstWeekday) === day);
}

function dayMatches(rule: DayRule, day: number, monthLength: number, firstWeekday: number): boolean {
  const byMonth = byDayOfMonth(rule, day, monthLength, firstWeekday);
  if (rule.anyDayOfWeek) return rule.anyDayOfMonth || byMonth;
  const weekday = (firstWeekday + day - 1) % 7;
  const byWeek =
    rule.weekdays[weekday] === true ||
    ((rule.nthWeekdays[weekday] ?? 0) & (1 << Math.ceil(day / 7))) !== 0 ||
    (rule.lastWeekdays[weekday] === true && day + 7 > monthLength);
  return rule.anyDayOfMonth ? byWeek : byMonth || byWeek;
}

/** The first matching day of the month at or after `from`, or -1. */
function nextDay(rule: DayRule, year: number, month: number, from: number): number {
  const length = daysInMonth(year, month);
  const firstWeekday = weekdayOf(year, month, 1);
  for (let day = Math.max(from, 1); day <= length; day++) {
    if (dayMatches(rule, day, length, firstWeekday)) return day;
  }
  return -1;
}

/** The last matching day of the month at or before `from`, or -1. */
function prevDay(rule: DayRule, year: number, month: number, from: number): number {
  const length = daysInMonth(year, month);
  const firstWeekday = weekdayOf(year, month, 1);
  for (let day = Math.min(from, length); day >= 1; day--) {
    if (dayMatches(rule, day, length, firstWeekday)) return day;
  }
  return -1;
}

const nextIn = (set: ValueSet, from: number): number => set.next[from] ?? -1;
const prevIn = (set: ValueSet, from: number): number => (from < 0 ? -1 : (set.prev[from] ?? -1));

/** The least allowed year >= `year`, or -1. */
function nextYear(years: YearSet | null, year: number): number {
  if (years === null) return year;
  const offset = Math.max(year - years.first, 0);
  const allowed = offset < years.values.prev.length ? nextIn(years.values, offset) : -1;
  return allowed === -1 ? -1 : allowed + years.first;
}

/** The greatest allowed year <= `year`, or -1. */
function prevYear(years: YearSet | null, year: number): number {
  if (years === null) return year;
  const offset = Math.min(year - years.first, years.values.prev.length - 1);
  const allowed = prevIn(years.values, offset);
  return allowed === -1 ? -1 : allowed + years.first;
}

/** Year, month (1-12), day, hour, minute and second of a wall-clock time. */
function dateTimeOf(wallClock: number): [number, number, number, number, number, number] {
  const at = new Date(wallClock);
  return [
    at.getUTCFullYear(),
    at.getUTCMonth() + 1,
    at.getUTCDate(),
    at.getUTCHours(),
    at.getUTCMinutes(),
    at.getUTCSeconds(),
  ];
}

/** A direction through a day: how the next allowed value is found, which way to step, where minutes and seconds restart. */
interface Walk {
  allowed: (set: ValueSet, from: number) => number;
  step: 1 | -1;
  restart: number;
}
const FORWARD: Walk = { allowed: nextIn, step: 1, restart: 0 };
const BACKWARD: Walk = { allowed: prevIn, step: -1, restart: 59 };

/**
 * The first time of day the expression allows from `hour:minute:second` on, walking `walk`'s way
 * (forward: the earliest at or after it; backward: the latest at or before it), or null when the day
 * has none left that way.
 */
function timeOfDay(
  cron: CompiledCron,
  walk: Walk,
  hour: number,
  minute: number,
  second: number,
): [number, number, number] | null {
  for (;;) {
    const allowedHour = walk.allowed(cron.hour, hour);
    if (allowedHour === -1) return null;
    if (allowedHour !== hour) {
      hour = allowedHour;
      minute = second = walk.restart;
    }
    const allowedMinute = walk.allowed(cron.minute, minute);
    if (allowedMinute === -1) {
      hour += walk.step;
      minute = second = walk.restart;
      continue;
    }
    if (allowedMinute !== minute) {
      minute = allowedMinute;
      second = walk.restart;
    }
    const allowedSecond = walk.allowed(cron.second, second);
    if (allowedSecond === -1) {
      minute += walk.step;
      second = walk.restart;
      continue;
    }
    return [hour, minute, allowedSecond];
  }
}

/** The earliest matching wall-clock time at or after `from` and before `until`, or null. */
export function nextWallClockMatch(cron: CompiledCron, from: number, until: number): number | null {
  let [year, month, day, hour, minute, second] = dateTimeOf(Math.ceil(from / SECOND) * SECOND);
  for (;;) {
    const allowedYear = nextYear(cron.year, year);
    if (allowedYear !== year) {
      if (allowedYear === -1 || Date.UTC(allowedYear, 0, 1) >= until) return null;
      year = allowedYear;
      month = day = 1;
      hour = minute = second = 0;
    }
    const allowedMonth = nextIn(cron.month, month);
    if (allowedMonth !== month) {
      if (allowedMonth === -1) {
        year += 1;
        month = day = 1;
        hour = minute = second = 0;
        if (Date.UTC(year, 0, 1) >= until) return null;
        continue;
      }
      month = allowedMonth;
      day = 1;
      hour = minute = second = 0;
      if (Date.UTC(year, month - 1, 1) >= until) return null;
    }
    const allowedDay = nextDay(cron.day, year, month, day);
    if (allowedDay === -1) {
      month += 1;
      day = 1;
      hour = minute = second = 0;
      if (Date.UTC(year, month - 1, 1) >= until) return null;
      continue;
    }
    if (allowedDay !== day) {
      day = allowedDay;
      hour = minute = second = 0;
    }
    const time = timeOfDay(cron, FORWARD, hour, minute, second);
    if (time === null) {
      day += 1;
      hour = minute = second = 0;
      continue;
    }
    const match = Date.UTC(year, month - 1, day, ...time);
    return match < until ? match : null;
  }
}

/** The latest matching wall-clock time at or before `from` and at or after `notBefore`, or null. */
export function prevWallClockMatch(cron: CompiledCron, from: number, notBefore: number): number | null {
  let [year, month, day, hour, minute, second] = dateTimeOf(Math.floor(from / SECOND) * SECOND);
  for (;;) {
    const allowedYear = prevYear(cron.year, year);
    if (allowedYear !== year) {
      if (allowedYear === -1 || Date.UTC(allowedYear + 1, 0, 1) <= notBefore) return null;
      year = allowedYear;
      [month, day, hour, minute, second] = [12, 31, 23, 59, 59];
    }
    const allowedMonth = prevIn(cron.month, month);
    if (allowedMonth !== month) {
      if (allowedMonth === -1) {
        year -= 1;
        [month, day, hour, minute, second] = [12, 31, 23, 59, 59];
        if (Date.UTC(year + 1, 0, 1) <= notBefore) return null;
        continue;
      }
      month = allowedMonth;
      [day, hour, minute, second] = [31, 23, 59, 59];
      if (Date.UTC(year, month, 1) <= notBefore) return null;
    }
    const allowedDay = prevDay(cron.day, year, month, day);
    if (allowedDay === -1) {
      month -= 1;
      [day, hour, minute, second] = [31, 23, 59, 59];
      if (Date.UTC(year, month, 1) <= notBefore) return null;
      continue;
    }
    if (allowedDay !== day) {
      day = allowedDay;
      [hour, minute, second] = [23, 59, 59];
    }
    const time = timeOfDay(cron, BACKWARD, hour, minute, second);
    if (time === null) {
      day -= 1;
      [hour, minute, second] = [23, 59, 59];
      continue;
    }
    const match = Date.UTC(year, month - 1, day, ...time);
    return match >= notBefore ? match : null;
  }
}

/**
 * Whether the expression matches any wall-clock time at all. The Gregorian calendar repeats every
 * 400 years, so a rule that matches nothing in 1970-2399 (which holds one whole cycle and every
 * EventBridge year) never will.
 */
export function canEverMatch(cron: CompiledCron): boolean {
  return nextWallClockMatch(cron, Date.UTC(1970, 0, 1), Date.UTC(2400, 0, 1)) !== null;
}

/** The zone layer's view of a compiled expression. */
export function wallClockRule(cron: CompiledCron): WallClockRule {
  return {
    fixedLocalTime: cron.fixedLocalTime,
    nextMatch: (from, until) => nextWallClockMatch(cron, from, until),
    prevMatch: (from, notBefore) => prevWallClockMatch(cron, from, notBefore),
  };
}
