/** Parsing of one cron field's list items (`*`, `5`, `1-5`, `*\/15`, `10/5`, `1-30/2`, names), shared by both dialects. */
import { type CompiledCron, CronSyntaxError, valueSetOf } from './compiled.js';

export interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The value of the first name (`SUN` is 0 in classic cron, 1 in EventBridge). */
  firstNameValue?: number;
  /** How an out-of-range error states the allowed values; `min-max` by default. */
  allowedText?: string;
  /** Classic day-of-week: Sunday is 0 by name, but closes a range (`FRI-SUN`) as 7. */
  sundayClosesRangeAs7?: boolean;
}

export const MONTH_NAMES = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];
export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export const MINUTE_FIELD: FieldSpec = { name: 'minute', min: 0, max: 59 };
export const HOUR_FIELD: FieldSpec = { name: 'hour', min: 0, max: 23 };
export const DAY_OF_MONTH_FIELD: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
export const MONTH_FIELD: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: MONTH_NAMES,
  firstNameValue: 1,
};

export function parseNumber(text: string, field: FieldSpec): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      throw new CronSyntaxError(`${field.name} must be ${field.allowedText ?? `${field.min}-${field.max}`}`);
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

/** Expands one list item into `allowed` (indexed by value). */
export function addItem(item: string, field: FieldSpec, allowed: boolean[]): void {
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
    if (field.sundayClosesRangeAs7 && high === 0 && low > 0) high = 7;
    if (low > high) throw new CronSyntaxError(`${field.name} range "${base}" runs backwards`);
  } else {
    low = parseNumber(base, field);
    high = stepText === undefined ? low : field.max;
  }
  for (let v = low; v <= high; v += step) allowed[v] = true;
}

/** Every item of a comma-separated field. */
export function parseValueField(raw: string, field: FieldSpec): boolean[] {
  const allowed: boolean[] = [];
  for (const item of listItems(raw, field)) addItem(item, field, allowed);
  return allowed;
}

export function listItems(raw: string, field: FieldSpec): string[] {
  const items = raw.split(',');
  if (items.includes('')) throw new CronSyntaxError(`${field.name} has an empty list item`);
  return items;
}

/** The minute, hour and month fields, which both dialects read the same way. */
export function minuteHourMonth(
  minute: string,
  hour: string,
  month: string,
): Pick<CompiledCron, 'minute' | 'hour' | 'month'> {
  return {
    minute: valueSetOf(parseValueField(minute, MINUTE_FIELD), 59),
    hour: valueSetOf(parseValueField(hour, HOUR_FIELD), 23),
    month: valueSetOf(parseValueField(month, MONTH_FIELD), 12),
  };
}
