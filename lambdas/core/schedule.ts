import type { Schedule } from '../../schemas/job.js';
import {
  instantOfLocal,
  isValidTimezone,
  latestCronRunAtOrBefore,
  nextCronRunAnyTime,
  validateCron,
} from './cron.js';
import { InvalidSchedule } from './errors.js';
import { isAtExpression, parseAtExpression, parseRateExpression } from './eventbridge-expressions.js';
import { DAY, iso, ms } from './time.js';

export const MAX_HORIZON_MS = 10 * 365 * DAY + 3 * DAY;

type Windowed = { startAt?: string; endAt?: string };
type OnceSchedule = Extract<Schedule, { type: 'once' }>;
type RateSchedule = Extract<Schedule, { type: 'rate' }>;

function windowOf(schedule: Windowed): { start: number | null; end: number | null } {
  return {
    start: schedule.startAt === undefined ? null : ms(schedule.startAt),
    end: schedule.endAt === undefined ? null : ms(schedule.endAt),
  };
}

/** The instant of a one-time schedule: its ISO `at`, or its `at(...)` local time read in its timezone. */
export function onceInstant(schedule: OnceSchedule): number {
  if (!isAtExpression(schedule.at)) return ms(schedule.at);
  return instantOfLocal(parseAtExpression(schedule.at), schedule.timezone ?? 'UTC');
}

/** A rate schedule's interval in ms, from `everySeconds` or its `rate(...)` expression. */
export function rateIntervalMs(schedule: RateSchedule): number {
  return (schedule.everySeconds ?? parseRateExpression(schedule.expression ?? '')) * 1000;
}

function validateOnce(schedule: OnceSchedule, now: number): void {
  if (schedule.timezone !== undefined && !isValidTimezone(schedule.timezone)) {
    const problem = `unknown time zone "${schedule.timezone}"; use an IANA name such as "Europe/London"`;
    throw new InvalidSchedule(problem, [{ path: 'schedule.timezone', message: problem }]);
  }
  if (onceInstant(schedule) > now + MAX_HORIZON_MS) {
    throw new InvalidSchedule('schedule.at is more than 10 years ahead', [
      { path: 'schedule.at', message: 'must be within 10 years from now' },
    ]);
  }
}

function validateWindow(schedule: Windowed, now: number): void {
  const { start, end } = windowOf(schedule);
  if (start !== null && end !== null && end <= start) {
    throw new InvalidSchedule('schedule.endAt must be after schedule.startAt', [
      { path: 'schedule.endAt', message: 'must be after startAt' },
    ]);
  }
  if (end !== null && end <= now) {
    throw new InvalidSchedule('schedule.endAt is in the past: the job would never run', [
      { path: 'schedule.endAt', message: 'must be in the future' },
    ]);
  }
  if (start !== null && start > now + MAX_HORIZON_MS) {
    throw new InvalidSchedule('schedule.startAt is more than 10 years ahead', [
      { path: 'schedule.startAt', message: 'must be within 10 years from now' },
    ]);
  }
}

/**
 * A recurring schedule with no run at all is refused rather than stored as a job that is finished
 * before it started; the message says when it would first run, when it ever would.
 */
function assertHasRun(schedule: Extract<Schedule, { type: 'cron' | 'rate' }>, now: number): void {
  const anchorAt = rateAnchorFor(schedule, now);
  if (firstRunAt(schedule, now, anchorAt) !== null) return;
  const unbounded = firstRunAt({ ...schedule, endAt: undefined }, now, anchorAt);
  if (unbounded !== null && schedule.endAt !== undefined) {
    const problem = `its first run would be at ${iso(unbounded)}, after endAt ${iso(ms(schedule.endAt))}`;
    throw new InvalidSchedule(`schedule has no run: ${problem}`, [
      { path: 'schedule.endAt', message: problem },
    ]);
  }
  const problem = `has no run after ${iso(now)}`;
  throw new InvalidSchedule(`schedule.expression ${problem}`, [
    { path: 'schedule.expression', message: problem },
  ]);
}

/** Throws InvalidSchedule (400), naming the field at fault, for a schedule that can never run or cannot be computed. */
export function validateSchedule(schedule: Schedule, now: number): void {
  if (schedule.type === 'once') {
    validateOnce(schedule, now);
    return;
  }
  // A dependency schedule has no time-based runs; that it names upstreams is the service's check.
  if (schedule.type === 'immediate' || schedule.type === 'dependency') return;
  validateWindow(schedule, now);
  if (schedule.type === 'cron') validateCron(schedule.expression, schedule.timezone);
  else rateIntervalMs(schedule);
  assertHasRun(schedule, now);
}

/** Rate schedules run at anchor + k × every; without startAt the first run is one interval after creation. */
export function rateAnchorFor(schedule: Schedule, createdAt: number): number | undefined {
  if (schedule.type !== 'rate') return undefined;
  return schedule.startAt === undefined ? createdAt + rateIntervalMs(schedule) : ms(schedule.startAt);
}

/** The first run at or after `now`, or null when the schedule has none. */
export function firstRunAt(schedule: Schedule, now: number, anchorAt?: number): number | null {
  switch (schedule.type) {
    case 'once':
      return Math.max(onceInstant(schedule), now);
    case 'immediate':
      return now;
    case 'dependency':
      return null;
    default:
      return nextRunAfter(schedule, now - 1, anchorAt);
  }
}

/** The first run strictly after `afterMs` within the schedule's window, however far away, or null. */
export function nextRunAfter(schedule: Schedule, afterMs: number, anchorAt?: number): number | null {
  if (schedule.type === 'once' || schedule.type === 'immediate' || schedule.type === 'dependency')
    return null;
  const { start, end } = windowOf(schedule);
  const from = start === null ? afterMs : Math.max(afterMs, start - 1);
  const next =
    schedule.type === 'cron'
      ? nextCronRunAnyTime(schedule.expression, schedule.timezone, from)
      : rateGrid(schedule, anchorAt ?? start ?? 0).firstAfter(from);
  if (next === null || (end !== null && next > end)) return null;
  return next;
}

/** The latest run at or before `atMs` within the window (misfire fast-forward), or null. */
export function latestRunAtOrBefore(schedule: Schedule, atMs: number, anchorAt?: number): number | null {
  if (schedule.type === 'once') {
    const at = onceInstant(schedule);
    return at <= atMs ? at : null;
  }
  if (schedule.type === 'immediate' || schedule.type === 'dependency') return null;
  const { start, end } = windowOf(schedule);
  const until = end === null ? atMs : Math.min(atMs, end);
  const latest =
    schedule.type === 'cron'
      ? latestCronRunAtOrBefore(schedule.expression, schedule.timezone, until)
      : rateGrid(schedule, anchorAt ?? start ?? 0).lastAtOrBefore(until);
  if (latest === null || (start !== null && latest < start)) return null;
  return latest;
}

/** A rate schedule's runs: `anchor + k × every` for every whole k ≥ 0. */
function rateGrid(schedule: RateSchedule, anchor: number) {
  const every = rateIntervalMs(schedule);
  return {
    firstAfter: (from: number): number =>
      from < anchor ? anchor : anchor + (Math.floor((from - anchor) / every) + 1) * every,
    lastAtOrBefore: (until: number): number | null =>
      until < anchor ? null : anchor + Math.floor((until - anchor) / every) * every,
  };
}

export function upcomingRuns(schedule: Schedule, from: number, count: number, anchorAt?: number): number[] {
  const runs: number[] = [];
  let next = firstRunAt(schedule, from, anchorAt);
  while (next !== null && runs.length < count) {
    runs.push(next);
    next = nextRunAfter(schedule, next, anchorAt);
  }
  return runs;
}
