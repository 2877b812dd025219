import type { ExecutionStatus, JobPatch, JobStatus } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { JobRecord } from '../../schemas/records.js';
import { VersionConflict } from './errors.js';
import { onceInstant, rateAnchorFor } from './schedule.js';
import { assertJobTransition } from './states.js';
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
export function checkVersion(
  job: Pick<JobRecord, 'jobId' | 'version'>,
  match: VersionMatch | undefined,
): void {
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
export function applyJobPatch(
  job: JobRecord,
  patch: JobPatch,
): { job: JobRecord; changed: Set<keyof JobPatch> } {
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
  return { job: next as JobRecord, changed };
}

/**
 * A job whose schedule was just replaced at `now`: a rate schedule counts from a new anchor (as on
 * create), the change is stamped, and `enqueuedThrough` — which named runs of the old schedule —
 * goes, so restart recovery never re-sends old runs as if they were the new schedule's.
 */
export function withScheduleChange(job: JobRecord, now: number): JobRecord {
  const { anchorAt: _a, enqueuedThrough: _e, ...rest } = job;
  const anchorAt = rateAnchorFor(job.schedule, now);
  return {
    ...rest,
    scheduleChangedAt: iso(now),
    ...(anchorAt === undefined ? {} : { anchorAt: iso(anchorAt) }),
  };
}

/**
 * A job whose plan of runs is replaced: a schedule change (expression, timezone, window), a pause,
 * a resume or a cancel. Runs already on the queue carry the revision they were planned under, and
 * the executor drops those of an older one (isRunOfCurrentPlan). Other changes (a name, the target)
 * leave the plan, and the runs queued under it, alone.
 */
export function withNewPlan<J extends Pick<JobRecord, 'planRev'>>(job: J): J {
  return { ...job, planRev: (job.planRev ?? 0) + 1 };
}

/**
 * Whether a delivery may still run under the job's current plan: a first attempt of a `schedule`
 * run must come from the current plan revision. Manual triggers, replays, dependency runs and
 * retries (attempt > 1: the run was already under way) are not plans of the schedule and pass.
 */
export function isRunOfCurrentPlan(
  job: Pick<JobRecord, 'planRev'>,
  message: Pick<RunMessage, 'trigger' | 'attempt' | 'plan'>,
): boolean {
  if (message.trigger !== 'schedule' || message.attempt > 1) return true;
  return (message.plan ?? 0) === (job.planRev ?? 0);
}

/**
 * Where resume starts counting runs as missed: the pause (minus the look-back above), or the
 * schedule change if the schedule was changed while paused (the old schedule's runs are gone).
 */
export function missedSince(job: Pick<JobRecord, 'pausedAt' | 'scheduleChangedAt' | 'updatedAt'>): number {
  const pausedAt = ms(job.pausedAt ?? job.updatedAt);
  const changedAt = job.scheduleChangedAt === undefined ? null : ms(job.scheduleChangedAt);
  return changedAt !== null && changedAt >= pausedAt ? changedAt : pausedAt - RESUME_LOOKBACK_MS;
}

/**
 * The single run of a one-time job (`once`, `immediate`): its instant, clamped to when the job or
 * its schedule was set, as firstRunAt computed it then.
 */
export function oneTimeRunAt(
  job: Pick<JobRecord, 'schedule' | 'createdAt' | 'scheduleChangedAt'>,
): number | null {
  const setAt = ms(job.scheduleChangedAt ?? job.createdAt);
  if (job.schedule.type === 'once') return Math.max(onceInstant(job.schedule), setAt);
  if (job.schedule.type === 'immediate') return setAt;
  return null;
}

/** The job in status `to`, if the state table allows the change (InvalidState otherwise). */
export function withStatus<J extends Pick<JobRecord, 'jobId' | 'status'>>(job: J, to: JobStatus): J {
  assertJobTransition(job.jobId, job.status, to);
  return { ...job, status: to };
}

/**
 * The job ended by the last run of its schedule, at `now`: a one-time job whose run did not succeed
 * (nor was skipped) `failed`, every other `completed`.
 */
export function finishedJob(job: JobRecord, lastRun: ExecutionStatus, now: number): JobRecord {
  return { ...withStatus(job, finishedStatus(job, lastRun)), version: job.version + 1, updatedAt: iso(now) };
}

/** The status a job ends in after its last run: `failed` for a one-time job whose run did not succeed. */
export function finishedStatus(
  job: Pick<JobRecord, 'schedule'>,
  lastRun: ExecutionStatus,
): 'completed' | 'failed' {
  const oneTime = job.schedule.type === 'once' || job.schedule.type === 'immediate';
  return oneTime && lastRun !== 'succeeded' && lastRun !== 'skipped' ? 'failed' : 'completed';
}
