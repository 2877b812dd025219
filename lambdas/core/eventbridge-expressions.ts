/**
 * EventBridge Scheduler's `rate(value unit)` and `at(yyyy-mm-ddThh:mm:ss)` expressions, read as
 * EventBridge documents them (docs/decisions/cron-engine.md): a rate's value is a whole number of at
 * least 1, its unit minute(s), hour(s) or day(s), singular exactly when the value is 1 (a day is 24
 * hours, as everywhere in rate schedules); an `at` is a local date-time without an offset, read in
 * the schedule's time zone. Errors name the schedule field.
 */
import { InvalidSchedule } from './errors.js';
import { DAY } from './time.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = { minute: 60, hour: 3600, day: 86_400 };
/** The longest interval a rate schedule takes (as `everySeconds`). */
export const MAX_RATE_SECONDS = (366 * DAY) / 1000;

function invalid(path: string, problem: string): InvalidSchedule {
  return new InvalidSchedule(`${path} ${problem}`, [{ path, message: problem }]);
}

/** The interval of `rate(5 minutes)` in seconds; throws InvalidSchedule naming `schedule.expression`. */
export function parseRateExpression(expression: string): number {
  const parts = /^rate\(\s*(\S+)\s+(\S+)\s*\)$/.exec(expression.trim());
  if (parts === null) throw invalid('schedule.expression', 'must be rate(value unit), as in rate(5 minutes)');
  const [, valueText = '', unitText = ''] = parts;
  if (!/^\d+$/.test(valueText) || Number(valueText) < 1) {
    throw invalid('schedule.expression', `rate value "${valueText}" must be a whole number of at least 1`);
  }
  const value = Number(valueText);
  const plural = unitText.endsWith('s');
  const unit = plural ? unitText.slice(0, -1) : unitText;
  const unitSeconds = UNIT_SECONDS[unit];
  if (unitSeconds === undefined) {
    throw invalid('schedule.expression', `rate unit "${unitText}" must be minute(s), hour(s) or day(s)`);
  }
  if (value === 1 && plural) {
    throw invalid('schedule.expression', `a rate of 1 takes a singular unit: rate(1 ${unit})`);
  }
  if (value > 1 && !plural) {
    throw invalid('schedule.expression', `a rate above 1 takes a plural unit: rate(${value} ${unit}s)`);
  }
  const seconds = value * unitSeconds;
  if (seconds > MAX_RATE_SECONDS) throw invalid('schedule.expression', 'rate must be at most 366 days');
  return seconds;
}

/** True for the `at(...)` form of a once schedule's `at` (an ISO instant otherwise). */
export function isAtExpression(at: string): boolean {
  return at.startsWith('at(');
}

/**
 * The local date-time of `at(2026-03-08T02:30:00)` as UTC epoch ms (the wall clock, not yet an
 * instant); throws InvalidSchedule naming `schedule.at`.
 */
export function parseAtExpression(at: string): number {
  const parts = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(at);
  if (parts === null) {
    throw invalid(
      'schedule.at',
      'must be an ISO-8601 instant or at(yyyy-mm-ddThh:mm:ss), as in at(2026-03-08T02:30:00)',
    );
  }
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(local);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute
  ) {
    throw invalid('schedule.at', `${at} is not a real date and time`);
  }
  return local;
}
