/**
 * Cron schedules evaluated in an IANA time zone, with the DST contract of docs/time-semantics.md:
 *
 * - Fixed local times (the hour field names specific hours: `30 2 * * *`, `0 9-17 * * 1-5`):
 *   a time that falls in a skipped interval runs once, at the first instant after the gap; a time
 *   that occurs twice runs once, at its first occurrence.
 * - Recurring hours (the hour field is `*`, `?` or contains a step `/`: `0 * * * *`, `*\/15 *\/2 * * *`):
 *   every real instant whose local time matches runs, so an hourly job runs 23 or 25 times on a
 *   transition day; skipped local times simply do not exist and nothing is moved into the gap.
 *
 * The expression is parsed here rather than by cron-parser, whose DST handling moves a skipped
 * `30 2` to 03:30 (and drops a skipped time entirely on Lord Howe's 30-minute shift). Owning the
 * parser also gives field-specific error messages and keeps `H` (random) values out of a pure module.
 * The accepted syntax is cron-parser's minus `H`: 5 fields or 6 with leading seconds, lists, ranges,
 * steps, `?`, JAN-DEC, SUN-SAT (0 or 7 is Sunday), `L` (last day of month), `5L` (last Friday),
 * `1#2` (second Monday) and the `@daily`-style macros.
 *
 * Pure: instants are epoch milliseconds passed in, offsets come from Intl (cached per zone and year).
 */
import { InvalidSchedule } from './errors.js';
import { DAY, SECOND } from './time.js';

/** How far ahead nextCronRun looks: 10 years (with up to 3 leap days) + 1 day. */
export const CRON_LOOKAHEAD_MS = (10 * 365 + 3 + 1) * DAY;
/** How far back latestCronRunAtOrBefore looks: 10 years (with up to 3 leap days). */
export const CRON_LOOKBACK_MS = (10 * 365 + 3) * DAY;

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  firstNameValue?: number;
}

const SECOND_FIELD: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE_FIELD: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR_FIELD: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH_FIELD: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH_FIELD: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, firstNameValue: 1 };
const DAY_OF_WEEK_FIELD: FieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  names: WEEKDAY_NAMES,
  firstNameValue: 0,
};

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
  '@minutely': '0 * * * * *',
  '@secondly': '* * * * * *',
  '@weekdays': '0 0 0 * * 1-5',
  '@weekends': '0 0 0 * * 0,6',
};

/**
 * The allowed values of one field as lookup tables: `next[v]` is the least allowed value >= v and
 * `prev[v]` the greatest allowed value <= v, or -1 when there is none.
 */
interface ValueSet {
  next: Int8Array;
  prev: Int8Array;
}

/**
 * Day matching follows cron-parser (and Vixie cron): when both day-of-month and day-of-week are
 * restricted (neither is exactly `*` or `?`), a day matches if EITHER matches; otherwise only the
 * restricted one counts. So `0 0 13 * 5` runs on every 13th and on every Friday.
 */
interface DayRule {
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
  daysOfMonth: boolean[];
  lastDayOfMonth: boolean;
  weekdays: boolean[];
  /** nthWeekdays[w] is a bit set of the occurrences (1-5) of weekday w that match (`w#n`). */
  nthWeekdays: number[];
  lastWeekdays: boolean[];
}

interface CompiledCron {
  expression: string;
  second: ValueSet;
  minute: ValueSet;
  hour: ValueSet;
  month: ValueSet;
  day: DayRule;
  /** True when the hour field names specific hours: such runs move out of DST gaps and run once in overlaps. */
  fixedLocalTime: boolean;
  rawFields: { dayOfMonth: string; month: string };
}

class CronSyntaxError extends Error {}

function invalidExpression(expression: string, problem: string): InvalidSchedule {
  return new InvalidSchedule(`invalid cron expression "${expression}": ${problem}`, [
    { path: 'schedule.expression', message: problem },
  ]);
}

function valueSetOf(allowed: boolean[], max: number): ValueSet {
  const next = new Int8Array(max + 2).fill(-1);
  const prev = new Int8Array(max + 1).fill(-1);
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

function parseNumber(text: string, field: FieldSpec): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      throw new CronSyntaxError(`${field.name} must be ${field.min}-${field.max}`);
    }
    return value;
  }
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index >= 0) return index + (field.firstNameValue ?? 0);
  throw new CronSyntaxError(`${field.name} has an invalid value "${text}"`);
}

function parseStep(text: string, field: FieldSpec): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new CronSyntaxError(`${field.name} step "/${text}" must be a whole number of at least 1`);
  }
  return Number(text);
}

/** Expands one list item (`*`, `5`, `1-5`, `*\/15`, `10/5`, `1-30/2`, names) into `allowed`. */
function addItem(item: string, field: FieldSpec, allowed: boolean[]): void {
  const [base = '', stepText, extra] = item.split('/');
  if (extra !== undefined) throw new CronSyntaxError(`${field.name} has an invalid step "${item}"`);
  const step = stepText === undefined ? 1 : parseStep(stepText, field);
  let low: number;
  let high: number;
  if (base === '*' || base === '?') {
    low = field.min;
    high = field.max;
  } else if (base.includes('-')) {
    const [lowText = '', highText = '', rest] = base.split('-');
    if (rest !== undefined) throw new CronSyntaxError(`${field.name} has an invalid range "${base}"`);
    low = parseNumber(lowText, field);
    high = parseNumber(highText, field);
    // `FRI-SUN`: Sunday is 0 by name, but closes a range as 7.
    if (field === DAY_OF_WEEK_FIELD && high === 0 && low > 0) high = 7;
    if (low > high) throw new CronSyntaxError(`${field.name} range "${base}" runs backwards`);
  } else {
    low = parseNumber(base, field);
    high = stepText === undefined ? low : field.max;
  }
  for (let v = low; v <= high; v += step) allowed[v] = true;
}

function parseValueField(raw: string, field: FieldSpec): boolean[] {
  const allowed: boolean[] = [];
  for (const item of raw.split(',')) {
    if (item === '') throw new CronSyntaxError(`${field.name} has an empty list item`);
    addItem(item, field, allowed);
  }
  return allowed;
}

function parseDayRule(rawDayOfMonth: string, rawDayOfWeek: string): DayRule {
  const daysOfMonth: boolean[] = [];
  let lastDayOfMonth = false;
  for (const item of rawDayOfMonth.split(',')) {
    if (item === '') throw new CronSyntaxError('day-of-month has an empty list item');
    if (item.toUpperCase() === 'L') lastDayOfMonth = true;
    else addItem(item, DAY_OF_MONTH_FIELD, daysOfMonth);
  }
  const weekdays: boolean[] = [];
  const nthWeekdays = [0, 0, 0, 0, 0, 0, 0];
  const lastWeekdays: boolean[] = [];
  for (const item of rawDayOfWeek.split(',')) {
    if (item === '') throw new CronSyntaxError('day-of-week has an empty list item');
    const last = /^(\w+)L$/i.exec(item);
    const nth = /^(\w+)#(\w+)$/.exec(item);
    if (last?.[1] !== undefined) {
      lastWeekdays[parseNumber(last[1], DAY_OF_WEEK_FIELD) % 7] = true;
    } else if (nth?.[1] !== undefined && nth[2] !== undefined) {
      if (!/^[1-5]$/.test(nth[2])) {
        throw new CronSyntaxError(`day-of-week occurrence in "${item}" must be 1-5`);
      }
      const weekday = parseNumber(nth[1], DAY_OF_WEEK_FIELD) % 7;
      nthWeekdays[weekday] = (nthWeekdays[weekday] ?? 0) | (1 << Number(nth[2]));
    } else {
      const values: boolean[] = [];
      addItem(item, DAY_OF_WEEK_FIELD, values);
      for (let v = 0; v < values.length; v++) if (values[v]) weekdays[v % 7] = true;
    }
  }
  return {
    anyDayOfMonth: rawDayOfMonth === '*' || rawDayOfMonth === '?',
    anyDayOfWeek: rawDayOfWeek === '*' || rawDayOfWeek === '?',
    daysOfMonth,
    lastDayOfMonth,
    weekdays,
    nthWeekdays,
    lastWeekdays,
  };
}

function compile(expression: string): CompiledCron {
  const trimmed = expression.trim();
  const macro = MACROS[trimmed.toLowerCase()];
  if (trimmed.startsWith('@') && macro === undefined) {
    throw new CronSyntaxError(`unknown macro; use one of ${Object.keys(MACROS).join(', ')}`);
  }
  const atoms = (macro ?? trimmed).split(/\s+/);
  if (atoms.length !== 5 && atoms.length !== 6) {
    const got = trimmed === '' ? 0 : atoms.length;
    throw new CronSyntaxError(
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got ${got}`,
    );
  }
  const [second = '0', minute = '', hour = '', dayOfMonth = '', month = '', dayOfWeek = ''] =
    atoms.length === 6 ? atoms : ['0', ...atoms];
  if (atoms.some((atom) => /(^|[,/-])H([,/(]|$)/i.test(atom))) {
    throw new CronSyntaxError('hashed values (H) are not supported');
  }
  return {
    expression,
    second: valueSetOf(parseValueField(second, SECOND_FIELD), 59),
    minute: valueSetOf(parseValueField(minute, MINUTE_FIELD), 59),
    hour: valueSetOf(parseValueField(hour, HOUR_FIELD), 23),
    month: valueSetOf(parseValueField(month, MONTH_FIELD), 12),
    day: parseDayRule(dayOfMonth, dayOfWeek),
    fixedLocalTime: !(hour === '*' || hour === '?' || hour.includes('/')),
    rawFields: { dayOfMonth, month },
  };
}

const compiledCache = new Map<string, CompiledCron>();
const COMPILED_CACHE_LIMIT = 1000;

function compiled(expression: string): CompiledCron {
  const cached = compiledCache.get(expression);
  if (cached !== undefined) return cached;
  let cron: CompiledCron;
  try {
    cron = compile(expression);
  } catch (error) {
    if (error instanceof CronSyntaxError) throw invalidExpression(expression, error.message);
    throw error;
  }
  if (compiledCache.size >= COMPILED_CACHE_LIMIT) compiledCache.clear();
  compiledCache.set(expression, cron);
  return cron;
}

// ---------------------------------------------------------------------------------------------
// Wall-clock matching. A wall-clock time is encoded as the epoch ms it would be in UTC, so
// Date.UTC does the calendar arithmetic; the zone is applied later by the offset spans.
// ---------------------------------------------------------------------------------------------

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 31;
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function dayMatches(rule: DayRule, day: number, monthLength: number, weekday: number): boolean {
  const byMonth = rule.daysOfMonth[day] === true || (rule.lastDayOfMonth && day === monthLength);
  if (rule.anyDayOfWeek) return rule.anyDayOfMonth || byMonth;
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
    if (dayMatches(rule, day, length, (firstWeekday + day - 1) % 7)) return day;
  }
  return -1;
}

/** The last matching day of the month at or before `from`, or -1. */
function prevDay(rule: DayRule, year: number, month: number, from: number): number {
  const length = daysInMonth(year, month);
  const firstWeekday = weekdayOf(year, month, 1);
  for (let day = Math.min(from, length); day >= 1; day--) {
    if (dayMatches(rule, day, length, (firstWeekday + day - 1) % 7)) return day;
  }
  return -1;
}

const nextIn = (set: ValueSet, from: number): number => set.next[from] ?? -1;
const prevIn = (set: ValueSet, from: number): number => (from < 0 ? -1 : (set.prev[from] ?? -1));

/**
 * The earliest matching wall-clock time at or after `from` and before `until`, or null. Work is
 * bounded by the months between the two (each month costs at most one scan of its days).
 */
function nextWallClockMatch(cron: CompiledCron, from: number, until: number): number | null {
  const start = new Date(Math.ceil(from / SECOND) * SECOND);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  let day = start.getUTCDate();
  let hour = start.getUTCHours();
  let minute = start.getUTCMinutes();
  let second = start.getUTCSeconds();
  for (;;) {
    const allowedMonth = nextIn(cron.month, month);
    if (allowedMonth !== month) {
      if (allowedMonth === -1) year += 1;
      month = allowedMonth === -1 ? nextIn(cron.month, 1) : allowedMonth;
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
    const allowedHour = nextIn(cron.hour, hour);
    if (allowedHour === -1) {
      day += 1;
      hour = minute = second = 0;
      continue;
    }
    if (allowedHour !== hour) {
      hour = allowedHour;
      minute = second = 0;
    }
    const allowedMinute = nextIn(cron.minute, minute);
    if (allowedMinute === -1) {
      hour += 1;
      minute = second = 0;
      continue;
    }
    if (allowedMinute !== minute) {
      minute = allowedMinute;
      second = 0;
    }
    const allowedSecond = nextIn(cron.second, second);
    if (allowedSecond === -1) {
      minute += 1;
      second = 0;
      continue;
    }
    const match = Date.UTC(year, month - 1, day, hour, minute, allowedSecond);
    return match < until ? match : null;
  }
}

/** The latest matching wall-clock time at or before `from` and at or after `notBefore`, or null. */
function prevWallClockMatch(cron: CompiledCron, from: number, notBefore: number): number | null {
  const start = new Date(Math.floor(from / SECOND) * SECOND);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  let day = start.getUTCDate();
  let hour = start.getUTCHours();
  let minute = start.getUTCMinutes();
  let second = start.getUTCSeconds();
  for (;;) {
    const allowedMonth = prevIn(cron.month, month);
    if (allowedMonth !== month) {
      if (allowedMonth === -1) year -= 1;
      month = allowedMonth === -1 ? prevIn(cron.month, 12) : allowedMonth;
      day = 31;
      hour = 23;
      minute = second = 59;
      if (Date.UTC(year, month, 1) <= notBefore) return null;
    }
    const allowedDay = prevDay(cron.day, year, month, day);
    if (allowedDay === -1) {
      month -= 1;
      day = 31;
      hour = 23;
      minute = second = 59;
      if (Date.UTC(year, month, 1) <= notBefore) return null;
      continue;
    }
    if (allowedDay !== day) {
      day = allowedDay;
      hour = 23;
      minute = second = 59;
    }
    const allowedHour = prevIn(cron.hour, hour);
    if (allowedHour === -1) {
      day -= 1;
      hour = 23;
      minute = second = 59;
      continue;
    }
    if (allowedHour !== hour) {
      hour = allowedHour;
      minute = second = 59;
    }
    const allowedMinute = prevIn(cron.minute, minute);
    if (allowedMinute === -1) {
      hour -= 1;
      minute = second = 59;
      continue;
    }
    if (allowedMinute !== minute) {
      minute = allowedMinute;
      second = 59;
    }
    const allowedSecond = prevIn(cron.second, second);
    if (allowedSecond === -1) {
      minute -= 1;
      second = 59;
      continue;
    }
    const match = Date.UTC(year, month - 1, day, hour, minute, allowedSecond);
    return match >= notBefore ? match : null;
  }
}

/** A calendar that repeats every 400 years, so a day rule that matches nothing in one cycle never will. */
const GREGORIAN_CYCLE_START = Date.UTC(2000, 0, 1);
const GREGORIAN_CYCLE_END = Date.UTC(2400, 0, 1);

function assertCanMatch(cron: CompiledCron): void {
  if (nextWallClockMatch(cron, GREGORIAN_CYCLE_START, GREGORIAN_CYCLE_END) !== null) return;
  const { dayOfMonth, month } = cron.rawFields;
  throw invalidExpression(
    cron.expression,
    `never matches: day-of-month "${dayOfMonth}" does not occur in month "${month}"`,
  );
}

// ---------------------------------------------------------------------------------------------
// Time zone offsets. A zone's timeline is a series of spans with a constant UTC offset; the
// transitions between them are found once per zone and UTC year by sampling Intl daily and
// bisecting to the second, then served from memory.
// ---------------------------------------------------------------------------------------------

interface Transition {
  /** First instant with the new offset. */
  at: number;
  offsetBefore: number;
  offsetAfter: number;
}

interface ZoneYear {
  /** Offset at the first instant of the year. */
  startOffset: number;
  /** Transitions with `start < at <= end of year`, ascending. */
  transitions: Transition[];
}

/** Any zone transition happens within this distance of an instant whose offset it could affect. */
const MAX_OFFSET_CHANGE_MS = 2 * DAY;

class ZoneOffsets {
  readonly #format: Intl.DateTimeFormat;
  readonly #fixed: boolean;
  readonly #years = new Map<number, ZoneYear>();

  constructor(timeZone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    const resolved = this.#format.resolvedOptions().timeZone;
    this.#fixed = resolved === 'UTC' || resolved.startsWith('Etc/');
  }

  offsetAt(instant: number): number {
    const year = this.#year(new Date(instant).getUTCFullYear());
    let offset = year.startOffset;
    for (const transition of year.transitions) {
      if (transition.at > instant) break;
      offset = transition.offsetAfter;
    }
    return offset;
  }

  /** The latest transition with `floor < at <= instant`, or null. */
  lastTransitionAtOrBefore(instant: number, floor: number): Transition | null {
    for (let year = new Date(instant).getUTCFullYear(); Date.UTC(year + 1, 0, 1) > floor; year--) {
      const transitions = this.#year(year).transitions;
      for (let i = transitions.length - 1; i >= 0; i--) {
        const transition = transitions[i];
        if (transition === undefined || transition.at <= floor) return null;
        if (transition.at <= instant) return transition;
      }
    }
    return null;
  }

  /** The earliest transition with `instant < at <= ceiling`, or null. */
  firstTransitionAfter(instant: number, ceiling: number): Transition | null {
    for (let year = new Date(instant).getUTCFullYear(); Date.UTC(year, 0, 1) < ceiling; year++) {
      for (const transition of this.#year(year).transitions) {
        if (transition.at > ceiling) return null;
        if (transition.at > instant) return transition;
      }
    }
    return null;
  }

  #sample(instant: number): number {
    const match = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(this.#format.format(instant));
    if (match === null) throw new Error(`cannot read the UTC offset from "${this.#format.format(instant)}"`);
    const [, sign, hours = '0', minutes = '0', seconds = '0'] = match;
    const magnitude = ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * SECOND;
    return sign === '-' ? -magnitude : magnitude;
  }

  #year(year: number): ZoneYear {
    const cached = this.#years.get(year);
    if (cached !== undefined) return cached;
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const startOffset = this.#sample(start);
    const transitions: Transition[] = [];
    if (!this.#fixed) {
      let before = start;
      let offsetBefore = startOffset;
      while (before < end) {
        const after = Math.min(before + DAY, end);
        const offsetAfter = this.#sample(after);
        if (offsetAfter !== offsetBefore) transitions.push(this.#bisect(before, after, offsetBefore));
        before = after;
        offsetBefore = offsetAfter;
      }
    }
    const zoneYear = { startOffset, transitions };
    this.#years.set(year, zoneYear);
    return zoneYear;
  }

  /** The transition in (low, high], given the offset at `low` differs from the one at `high`. */
  #bisect(low: number, high: number, offsetBefore: number): Transition {
    let lo = low;
    let hi = high;
    while (hi - lo > SECOND) {
      const middle = lo + Math.floor((hi - lo) / 2 / SECOND) * SECOND;
      if (this.#sample(middle) === offsetBefore) lo = middle;
      else hi = middle;
    }
    return { at: hi, offsetBefore, offsetAfter: this.#sample(hi) };
  }
}

const zoneCache = new Map<string, ZoneOffsets>();

function zoneOffsets(timeZone: string): ZoneOffsets {
  const cached = zoneCache.get(timeZone);
  if (cached !== undefined) return cached;
  if (!isValidTimezone(timeZone)) {
    const problem = `unknown time zone "${timeZone}"; use an IANA name such as "Europe/London"`;
    throw new InvalidSchedule(problem, [{ path: 'schedule.timezone', message: problem }]);
  }
  const zone = new ZoneOffsets(timeZone);
  zoneCache.set(timeZone, zone);
  return zone;
}

// ---------------------------------------------------------------------------------------------
// Runs. Within one offset span, local time = instant + offset, so the span's runs are its
// wall-clock matches shifted back by the offset. At the span's opening transition:
// - a gap (offset grows): fixed local times that fall in it run once, at the transition;
// - an overlap (offset shrinks): fixed local times already seen before it are not run again.
// ---------------------------------------------------------------------------------------------

/** True when a fixed-local-time run lands on the transition because its local time was skipped. */
function runsAtGap(cron: CompiledCron, transition: Transition | null): transition is Transition {
  if (transition === null || !cron.fixedLocalTime || transition.offsetAfter <= transition.offsetBefore) {
    return false;
  }
  const gapStart = transition.at + transition.offsetBefore;
  return nextWallClockMatch(cron, gapStart, transition.at + transition.offsetAfter) !== null;
}

/** The earliest local time a span may run at, skipping the second pass over a repeated interval. */
function spanLocalStart(cron: CompiledCron, transition: Transition | null, localStart: number): number {
  if (transition === null || !cron.fixedLocalTime || transition.offsetAfter >= transition.offsetBefore) {
    return localStart;
  }
  return Math.max(localStart, transition.at + transition.offsetBefore);
}

function nextRun(cron: CompiledCron, zone: ZoneOffsets, afterMs: number): number | null {
  const limit = afterMs + CRON_LOOKAHEAD_MS;
  let from = Math.floor(afterMs) + 1;
  while (from <= limit) {
    const offset = zone.offsetAt(from);
    const opening = zone.lastTransitionAtOrBefore(from, from - MAX_OFFSET_CHANGE_MS);
    if (opening?.at === from && runsAtGap(cron, opening)) return from;
    const closing = zone.firstTransitionAfter(from, limit);
    const spanEnd = closing === null ? limit + 1 : closing.at;
    const localFrom = spanLocalStart(cron, opening, from + offset);
    const match = nextWallClockMatch(cron, localFrom, spanEnd + offset);
    if (match !== null) return match - offset;
    from = spanEnd;
  }
  return null;
}

function latestRun(cron: CompiledCron, zone: ZoneOffsets, atMs: number): number | null {
  const limit = atMs - CRON_LOOKBACK_MS;
  let to = Math.floor(atMs);
  while (to >= limit) {
    const offset = zone.offsetAt(to);
    const opening = zone.lastTransitionAtOrBefore(to, limit);
    const spanStart = opening === null ? limit : opening.at;
    const localFrom = spanLocalStart(cron, opening, spanStart + offset);
    const match = prevWallClockMatch(cron, to + offset, localFrom);
    if (match !== null) return match - offset;
    if (runsAtGap(cron, opening)) return opening.at;
    to = spanStart - 1;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export function isValidTimezone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws InvalidSchedule, with a message naming the field at fault, for a malformed expression,
 * one that can never match (`0 0 30 2 *`) or an unknown time zone.
 */
export function validateCron(expression: string, timezone: string): void {
  assertCanMatch(compiled(expression));
  zoneOffsets(timezone);
}

/** The first run strictly after `afterMs`, or null if there is none within CRON_LOOKAHEAD_MS. */
export function nextCronRun(expression: string, timezone: string, afterMs: number): number | null {
  return nextRun(compiled(expression), zoneOffsets(timezone), afterMs);
}

/** The latest run at or before `atMs` (misfire `run_once`), or null if none within CRON_LOOKBACK_MS. */
export function latestCronRunAtOrBefore(expression: string, timezone: string, atMs: number): number | null {
  return latestRun(compiled(expression), zoneOffsets(timezone), atMs);
}

/** Up to `limit` runs strictly after `afterMs` and at or before `untilMs`, ascending. */
export function cronRunsBetween(
  expression: string,
  timezone: string,
  afterMs: number,
  untilMs: number,
  limit: number,
): number[] {
  const cron = compiled(expression);
  const zone = zoneOffsets(timezone);
  const runs: number[] = [];
  let run = nextRun(cron, zone, afterMs);
  while (run !== null && run <= untilMs && runs.length < limit) {
    runs.push(run);
    run = nextRun(cron, zone, run);
  }
  return runs;
}
