import type { JobPatch, Schedule } from '../../schemas/job.js';
import type { JobItem } from '../../schemas/stored.js';
import { VersionConflict } from './errors.js';
import { nextRunAfter, onceInstant, rateAnchorFor } from './schedule.js';
import { iso, ms } from './time.js';

/**
 * Resume looks this far before `pausedAt` for runs missed while paused: a run due just before the
 * pause may still have been on the queue when an executor saw the job paused and dropped it. Runs
 * in that stretch that did run have an execution record, and the claim absorbs them.
 */
export const RESUME_LOOKBACK_MS = 5_000;

/** What `If-Match` asks for: any current version (`*`), or one of these. */
export type VersionMatch = { any: true } | { versions: readonly number[] };

/** Throws VersionConflict (412) when the job's version is not one `If-Match` named. */
export function checkVersion(job: Pick<JobItem, 'jobId' | 'version'>, match: VersionMatch | undefined): void {
  if (match === undefined || 'any' in match) return;
  if (match.versions.includes(job.version)) return;
  const wanted = match.versions.length === 0 ? 'what If-Match names' : match.versions.join(' or ');
  throw new VersionConflict(`job ${job.jobId} is at version ${job.version}, not ${wanted}`);
}

/** Key-order-independent JSON, so equal values compare equal whatever order a client wrote them in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The job with a PATCH applied: each given field replaces the stored one; `null` removes an optional
 * one. Returns the fields that really changed (a field sent with its current value is no change).
 */
export function applyJobPatch(job: JobItem, patch: JobPatch): { job: JobItem; changed: Set<keyof JobPatch> } {
  const changed = new Set<keyof JobPatch>();
  const next: Record<string, unknown> = { ...job };
  for (const [field, value] of Object.entries(patch) as [keyof JobPatch, unknown][]) {
    if (value === undefined) continue;
    const current = (job as Record<string, unknown>)[field];
    if (value === null) {
      if (current === undefined) continue;
      delete next[field];
    } else {
      if (current !== undefined && canonicalJson(current) === canonicalJson(value)) continue;
      next[field] = value;
    }
    changed.add(field);
  }
  return { job: next as JobItem, changed };
}

/**
 * A job whose schedule was just replaced at `now`: a rate schedule counts from a new anchor (as on
 * create), the change is stamped, and `enqueuedThrough` — which named runs of the old schedule —
 * goes, so restart recovery never re-sends old runs as if they were the new schedule's.
 */
export function withScheduleChange(job: JobItem, now: number): JobItem {
  const { anchorAt: _a, enqueuedThrough: _e, ...rest } = job;
  const anchorAt = rateAnchorFor(job.schedule, now);
  return {
    ...rest,
    scheduleChangedAt: iso(now),
    ...(anchorAt === undefined ? {} : { anchorAt: iso(anchorAt) }),
  };
}

/**
 * Whether a `schedule` run still belongs to the job. A PATCH that changes the schedule leaves the
 * runs already handed to the queue for the old one there; the executor asks this before claiming.
 * Runs due before the change keep their place (they were due under the schedule of their time);
 * a later one must be a run of the current schedule.
 */
export function isRunOfCurrentSchedule(
  job: Pick<JobItem, 'schedule' | 'anchorAt' | 'scheduleChangedAt'>,
  scheduledAt: number,
): boolean {
  if (job.scheduleChangedAt === undefined) return true;
  const changedAt = ms(job.scheduleChangedAt);
  if (scheduledAt < changedAt) return true;
  return runsAt(job.schedule, scheduledAt, changedAt, job.anchorAt ? ms(job.anchorAt) : undefined);
}

function runsAt(schedule: Schedule, instant: number, changedAt: number, anchorAt?: number): boolean {
  switch (schedule.type) {
    case 'once':
      // A once-schedule whose instant had passed when it was set runs at the instant it was set.
      return instant === Math.max(onceInstant(schedule), changedAt);
    case 'immediate':
      return instant === changedAt;
    case 'dependency':
      return false;
    default:
      return nextRunAfter(schedule, instant - 1, anchorAt) === instant;
  }
}

/**
 * Where resume starts counting runs as missed: the pause (minus the look-back above), or the
 * schedule change if the schedule was changed while paused (the old schedule's runs are gone).
 */
export function missedSince(job: Pick<JobItem, 'pausedAt' | 'scheduleChangedAt' | 'updatedAt'>): number {
  const pausedAt = ms(job.pausedAt ?? job.updatedAt);
  const changedAt = job.scheduleChangedAt === undefined ? null : ms(job.scheduleChangedAt);
  return changedAt !== null && changedAt >= pausedAt ? changedAt : pausedAt - RESUME_LOOKBACK_MS;
}

/**
 * The single run of a one-time job (`once`, `immediate`): its instant, clamped to when the job or
 * its schedule was set, as firstRunAt computed it then.
 */
export function oneTimeRunAt(
  job: Pick<JobItem, 'schedule' | 'createdAt' | 'scheduleChangedAt'>,
): number | null {
  const setAt = ms(job.scheduleChangedAt ?? job.createdAt);
  if (job.schedule.type === 'once') return Math.max(onceInstant(job.schedule), setAt);
  if (job.schedule.type === 'immediate') return setAt;
  return null;
}
