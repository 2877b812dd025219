import type { Schedule } from '../../schemas/job.js';
import { latestCronRunAtOrBefore, nextCronRun, validateCron } from './cron.js';
import { InvalidSchedule } from './errors.js';
import { DAY, ms } from './time.js';

export const MAX_HORIZON_MS = 10 * 365 * DAY + 3 * DAY;

type Windowed = { startAt?: string; endAt?: string };

function windowOf(schedule: Windowed): { start: number | null; end: number | null } {
  return {
    start: schedule.startAt === undefined ? null : ms(schedule.startAt),
    end: schedule.endAt === undefined ? null : ms(schedule.endAt),
  };
}

/** Throws InvalidSchedule (400) for a schedule that can never run or cannot be computed. */
export function validateSchedule(schedule: Schedule, now: number): void {
  if (schedule.type === 'once') {
    if (ms(schedule.at) > now + MAX_HORIZON_MS) {
      throw new InvalidSchedule('schedule.at is more than 10 years ahead', [
        { path: 'schedule.at', message: 'must be within 10 years from now' },
      ]);
    }
    return;
  }
  // A dependency schedule has no time-based runs; that it names upstreams is the service's check.
  if (schedule.type === 'immediate' || schedule.type === 'dependency') return;
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
  if (schedule.type === 'cron') validateCron(schedule.expression, schedule.timezone);
}

/** Rate schedules run at anchor + k × every; without startAt the first run is one interval after creation. */
export function rateAnchorFor(schedule: Schedule, createdAt: number): number | undefined {
  if (schedule.type !== 'rate') return undefined;
  return schedule.startAt === undefined ? createdAt + schedule.everySeconds * 1000 : ms(schedule.startAt);
}

/** The first run at or after `now`, or null when the schedule has none. */
export function firstRunAt(schedule: Schedule, now: number, anchorAt?: number): number | null {
  switch (schedule.type) {
    case 'once':
      return Math.max(ms(schedule.at), now);
    case 'immediate':
      return now;
    case 'dependency':
      return null;
    default:
      return nextRunAfter(schedule, now - 1, anchorAt);
  }
}

/** The first run strictly after `afterMs` within the schedule's window, or null. */
export function nextRunAfter(schedule: Schedule, afterMs: number, anchorAt?: number): number | null {
  if (schedule.type === 'once' || schedule.type === 'immediate' || schedule.type === 'dependency')
    return null;
  const { start, end } = windowOf(schedule);
  const from = start === null ? afterMs : Math.max(afterMs, start - 1);
  let next: number | null;
  if (schedule.type === 'cron') {
    next = nextCronRun(schedule.expression, schedule.timezone, from);
  } else {
    const anchor = anchorAt ?? start ?? 0;
    const every = schedule.everySeconds * 1000;
    next = from < anchor ? anchor : anchor + (Math.floor((from - anchor) / every) + 1) * every;
  }
  if (next === null || (end !== null && next > end)) return null;
  return next;
}

/** The latest run at or before `atMs` within the window (misfire fast-forward), or null. */
export function latestRunAtOrBefore(schedule: Schedule, atMs: number, anchorAt?: number): number | null {
  if (schedule.type === 'once') return ms(schedule.at) <= atMs ? ms(schedule.at) : null;
  if (schedule.type === 'immediate' || schedule.type === 'dependency') return null;
  const { start, end } = windowOf(schedule);
  const until = end === null ? atMs : Math.min(atMs, end);
  let latest: number | null;
  if (schedule.type === 'cron') {
    latest = latestCronRunAtOrBefore(schedule.expression, schedule.timezone, until);
  } else {
    const anchor = anchorAt ?? start ?? 0;
    const every = schedule.everySeconds * 1000;
    latest = until < anchor ? null : anchor + Math.floor((until - anchor) / every) * every;
  }
  if (latest === null || (start !== null && latest < start)) return null;
  return latest;
}

/** The next `count` runs at or after `from` (preview). */
export function upcomingRuns(schedule: Schedule, from: number, count: number, anchorAt?: number): number[] {
  const runs: number[] = [];
  let next = firstRunAt(schedule, from, anchorAt);
  while (next !== null && runs.length < count) {
    runs.push(next);
    next = nextRunAfter(schedule, next, anchorAt);
  }
  return runs;
}
