/**
 * EventBridge Scheduler's dialect, `cron(minutes hours day-of-month month day-of-week year)`, read as
 * EventBridge documents it (docs/decisions/cron-engine.md cites the pages):
 * - day-of-week is 1-7 or SUN-SAT (1 is Sunday); `L` alone is the last day of the week (Saturday),
 *   `6L` the last Friday of the month, `3#2` the second Tuesday (one `#` item, nothing else);
 * - day-of-month takes `L` (last day), `15W` (the weekday nearest the 15th, within the month) and
 *   `LW` (the last weekday), each alone in the field;
 * - exactly one of day-of-month and day-of-week is `?`, and `?` appears nowhere else;
 * - year is 1970-2199; there is no seconds field (runs start at second 0).
 * Ranges that wrap around (`FRI-MON`, `22-2`) are not documented by EventBridge and are refused.
 */
import {
  type CompiledCron,
  CronSyntaxError,
  type DayRule,
  everyDay,
  valueSetOf,
  type YearSet,
} from './compiled.js';
import {
  DAY_OF_MONTH_FIELD,
  type FieldSpec,
  minuteHourMonth,
  parseNumber,
  parseValueField,
  WEEKDAY_NAMES,
} from './fields.js';

const DAY_OF_WEEK_FIELD: FieldSpec = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: WEEKDAY_NAMES,
  firstNameValue: 1,
  allowedText: '1-7 or SUN-SAT (1 is Sunday)',
};
const FIRST_YEAR = 1970;
const LAST_YEAR = 2199;
const YEAR_FIELD: FieldSpec = { name: 'year', min: FIRST_YEAR, max: LAST_YEAR };
const FIELD_NAMES = 'minutes hours day-of-month month day-of-week year';

/** True when the expression is written in EventBridge Scheduler's `cron(...)` form. */
export function isEventBridgeCron(expression: string): boolean {
  return /^\s*cron\(/i.test(expression);
}

function fieldsOf(expression: string): string[] {
  const body = /^\s*cron\((.*)\)\s*$/is.exec(expression)?.[1];
  if (body === undefined) throw new CronSyntaxError(`write it as cron(${FIELD_NAMES})`);
  const fields = body.trim() === '' ? [] : body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new CronSyntaxError(`expected 6 fields inside cron(...) (${FIELD_NAMES}), got ${fields.length}`);
  }
  fields.forEach((field, i) => {
    if (field.includes('?') && field !== '?') throw new CronSyntaxError(`"?" must stand alone in its field`);
    if (field === '?' && i !== 2 && i !== 4) {
      throw new CronSyntaxError('"?" is allowed only in day-of-month or day-of-week');
    }
  });
  return fields;
}

function parseDayOfMonth(raw: string, rule: DayRule): void {
  const upper = raw.toUpperCase();
  if (upper === 'L') {
    rule.lastDayOfMonth = true;
  } else if (upper === 'LW') {
    rule.lastWeekdayOfMonth = true;
  } else if (upper.endsWith('W')) {
    const day = upper.slice(0, -1);
    if (!/^\d+$/.test(day)) {
      throw new CronSyntaxError(`day-of-month "${raw}": W follows a single day, as in 15W`);
    }
    rule.nearestWeekdays.push(parseNumber(day, DAY_OF_MONTH_FIELD));
  } else if (/[LW]/.test(upper)) {
    throw new CronSyntaxError(`day-of-month "${raw}": L, LW and 15W stand alone in the field`);
  } else {
    rule.daysOfMonth = parseValueField(raw, DAY_OF_MONTH_FIELD);
  }
}

function parseDayOfWeek(raw: string, rule: DayRule): void {
  const nth = /^(\w+)#(\w+)$/.exec(raw);
  const last = /^(\w*)L$/i.exec(raw);
  if (nth?.[1] !== undefined && nth[2] !== undefined) {
    if (!/^[1-5]$/.test(nth[2])) throw new CronSyntaxError(`day-of-week occurrence in "${raw}" must be 1-5`);
    const weekday = parseNumber(nth[1], DAY_OF_WEEK_FIELD) - 1;
    rule.nthWeekdays[weekday] = 1 << Number(nth[2]);
  } else if (raw.includes('#')) {
    throw new CronSyntaxError(
      `day-of-week "${raw}": # takes one weekday and one occurrence, as in 3#2, alone`,
    );
  } else if (last?.[1] !== undefined) {
    // `L` alone is the last day of the week, Saturday; `6L` the last Friday of the month.
    if (last[1] === '') rule.weekdays[6] = true;
    else rule.lastWeekdays[parseNumber(last[1], DAY_OF_WEEK_FIELD) - 1] = true;
  } else if (/L/i.test(raw)) {
    // No weekday name contains an L, so any L left is misplaced.
    throw new CronSyntaxError(`day-of-week "${raw}": L stands alone, or after one weekday as in 6L`);
  } else {
    const values = parseValueField(raw, DAY_OF_WEEK_FIELD);
    for (let v = 1; v <= 7; v++) if (values[v]) rule.weekdays[v - 1] = true;
  }
}

function parseDayRule(dayOfMonth: string, dayOfWeek: string): DayRule {
  if (dayOfMonth === '?' && dayOfWeek === '?') {
    throw new CronSyntaxError('one of day-of-month and day-of-week must be a value or *, the other ?');
  }
  if (dayOfMonth !== '?' && dayOfWeek !== '?') {
    throw new CronSyntaxError('day-of-month and day-of-week cannot both be set: use ? in one of them');
  }
  const rule = everyDay();
  if (dayOfMonth !== '?' && dayOfMonth !== '*') {
    rule.anyDayOfMonth = false;
    parseDayOfMonth(dayOfMonth, rule);
  }
  if (dayOfWeek !== '?' && dayOfWeek !== '*') {
    rule.anyDayOfWeek = false;
    parseDayOfWeek(dayOfWeek, rule);
  }
  return rule;
}

function parseYears(raw: string): YearSet {
  const byYear = parseValueField(raw, YEAR_FIELD);
  const allowed: boolean[] = [];
  for (let year = FIRST_YEAR; year <= LAST_YEAR; year++) allowed[year - FIRST_YEAR] = byYear[year] === true;
  return { first: FIRST_YEAR, values: valueSetOf(allowed, LAST_YEAR - FIRST_YEAR) };
}

/** Compiles a `cron(...)` expression; throws CronSyntaxError naming the field at fault. */
export function compileEventBridge(expression: string): CompiledCron {
  const [minute = '', hour = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] =
    fieldsOf(expression);
  return {
    expression,
    second: valueSetOf([true], 59),
    ...minuteHourMonth(minute, hour, month),
    day: parseDayRule(dayOfMonth, dayOfWeek),
    year: parseYears(year),
    fixedLocalTime: !(hour === '*' || hour.includes('/')),
    rawFields: { dayOfMonth, month, year },
  };
}
