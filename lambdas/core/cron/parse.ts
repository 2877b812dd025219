/**
 * The classic dialect: cron-parser's syntax minus `H` (random values, which have no place in a pure
 * module). 5 fields or 6 with leading seconds, lists, ranges, steps, `?`, JAN-DEC, SUN-SAT (0 or 7
 * is Sunday), `L` (last day of month), `5L` (last Friday), `1#2` (second Monday) and the
 * `@daily`-style macros. Errors name the field at fault.
 */
import { type CompiledCron, CronSyntaxError, type DayRule, everyDay, valueSetOf } from './compiled.js';
import {
  addItem,
  DAY_OF_MONTH_FIELD,
  type FieldSpec,
  listItems,
  minuteHourMonth,
  parseNumber,
  parseValueField,
  WEEKDAY_NAMES,
} from './fields.js';

const SECOND_FIELD: FieldSpec = { name: 'second', min: 0, max: 59 };
const DAY_OF_WEEK_FIELD: FieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  names: WEEKDAY_NAMES,
  firstNameValue: 0,
  sundayClosesRangeAs7: true,
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

function parseDayOfMonth(raw: string, rule: DayRule): void {
  for (const item of listItems(raw, DAY_OF_MONTH_FIELD)) {
    if (item.toUpperCase() === 'L') rule.lastDayOfMonth = true;
    else addItem(item, DAY_OF_MONTH_FIELD, rule.daysOfMonth);
  }
}

function parseDayOfWeek(raw: string, rule: DayRule): void {
  for (const item of listItems(raw, DAY_OF_WEEK_FIELD)) {
    const last = /^(\w+)L$/i.exec(item);
    const nth = /^(\w+)#(\w+)$/.exec(item);
    if (last?.[1] !== undefined) {
      rule.lastWeekdays[parseNumber(last[1], DAY_OF_WEEK_FIELD) % 7] = true;
    } else if (nth?.[1] !== undefined && nth[2] !== undefined) {
      if (!/^[1-5]$/.test(nth[2])) {
        throw new CronSyntaxError(`day-of-week occurrence in "${item}" must be 1-5`);
      }
      const weekday = parseNumber(nth[1], DAY_OF_WEEK_FIELD) % 7;
      rule.nthWeekdays[weekday] = (rule.nthWeekdays[weekday] ?? 0) | (1 << Number(nth[2]));
    } else {
      const values: boolean[] = [];
      addItem(item, DAY_OF_WEEK_FIELD, values);
      for (let v = 0; v < values.length; v++) if (values[v]) rule.weekdays[v % 7] = true;
    }
  }
}

function parseDayRule(dayOfMonth: string, dayOfWeek: string): DayRule {
  const rule = everyDay();
  parseDayOfMonth(dayOfMonth, rule);
  parseDayOfWeek(dayOfWeek, rule);
  rule.anyDayOfMonth = dayOfMonth === '*' || dayOfMonth === '?';
  rule.anyDayOfWeek = dayOfWeek === '*' || dayOfWeek === '?';
  return rule;
}

/** Fields of the expression, with a macro expanded and the seconds field defaulted to 0. */
function fieldsOf(expression: string): string[] {
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
  if (atoms.some((atom) => /(^|[,/-])H([,/(]|$)/i.test(atom))) {
    throw new CronSyntaxError('hashed values (H) are not supported');
  }
  return atoms.length === 6 ? atoms : ['0', ...atoms];
}

/** Compiles a classic expression; throws CronSyntaxError naming the field at fault. */
export function compileClassic(expression: string): CompiledCron {
  const [second = '', minute = '', hour = '', dayOfMonth = '', month = '', dayOfWeek = ''] =
    fieldsOf(expression);
  return {
    expression,
    second: valueSetOf(parseValueField(second, SECOND_FIELD), 59),
    ...minuteHourMonth(minute, hour, month),
    day: parseDayRule(dayOfMonth, dayOfWeek),
    year: null,
    fixedLocalTime: !(hour === '*' || hour === '?' || hour.includes('/')),
    rawFields: { dayOfMonth, month },
  };
}
