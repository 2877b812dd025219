import type { MisfirePolicy, Schedule } from '../../schemas/job.js';
import { latestRunAtOrBefore, nextRunAfter } from './schedule.js';

export const CATCH_UP_LIMIT = 100;
/** Skipped runs recorded per plan; older ones are only counted. */
export const SKIPPED_RECORD_LIMIT = 100;
/** Upper bound on runs one job hands to the queue in one tick (an every-second job with a 2-minute look-ahead needs 120). */
export const MAX_RUNS_PER_TICK = 1000;

export interface ScheduledJob {
  schedule: Schedule;
  anchorAt?: number;
  nextRunAt: number;
  misfire: MisfirePolicy;
  misfireGraceSeconds: number;
}

export interface PlannedRun {
  scheduledAt: number;
  /** A late run the misfire policy chose to run: the executor must not skip it as late again. */
  lateAccepted: boolean;
}

export interface DuePlan {
  runs: PlannedRun[];
  /** Missed runs to record as `skipped` (the most recent SKIPPED_RECORD_LIMIT). */
  skipped: number[];
  /** Missed runs dropped without a record (beyond the record limit, or not enumerated at all). */
  unrecordedSkips: number;
  nextRunAt: number | null;
}

/**
 * What the watcher does with a job whose next run is due within the look-ahead:
 * which runs to enqueue, which missed runs to record as skipped, and where the job goes next.
 * A run is missed when `now` is more than the grace period past it.
 */
export function planDueRuns(job: ScheduledJob, now: number, lookaheadMs: number): DuePlan {
  const next = (t: number) => nextRunAfter(job.schedule, t, job.anchorAt);
  const cutoff = now - job.misfireGraceSeconds * 1000;
  const missed: number[] = [];
  let overflow = false;
  let t: number | null = job.nextRunAt;
  while (t !== null && t < cutoff && missed.length <= CATCH_UP_LIMIT) {
    missed.push(t);
    t = next(t);
  }
  let uncounted = 0;
  if (t !== null && t < cutoff) {
    overflow = true;
    // Far behind: jump to the latest missed run instead of walking every one.
    const latest = latestRunAtOrBefore(job.schedule, cutoff - 1, job.anchorAt);
    if (latest !== null && latest > (missed.at(-1) ?? -Infinity)) {
      missed.push(latest);
      uncounted = 1; // at least the runs between are dropped; their count is not enumerated
      t = next(latest);
    }
  }

  const runs: PlannedRun[] = [];
  let dropped: number[] = [];
  if (missed.length > 0) {
    if (job.misfire === 'skip') {
      dropped = missed;
    } else if (job.misfire === 'catch_up' && !overflow && missed.length <= CATCH_UP_LIMIT) {
      for (const m of missed) runs.push({ scheduledAt: m, lateAccepted: true });
    } else {
      const latest = missed.at(-1)!;
      runs.push({ scheduledAt: latest, lateAccepted: true });
      dropped = missed.slice(0, -1);
    }
  }

  const horizon = now + lookaheadMs;
  while (t !== null && t <= horizon && runs.length < MAX_RUNS_PER_TICK) {
    runs.push({ scheduledAt: t, lateAccepted: false });
    t = next(t);
  }

  const skipped = dropped.slice(-SKIPPED_RECORD_LIMIT);
  return {
    runs,
    skipped,
    unrecordedSkips: dropped.length - skipped.length + uncounted,
    nextRunAt: t,
  };
}

/**
 * Whether a run picked up late from the queue still runs. `run_once` runs it only when
 * it is the latest missed run (no later run is also past its grace); `catch_up` runs it.
 */
export function lateRunDecision(job: ScheduledJob & { scheduledAt: number }, now: number): 'run' | 'skip' {
  const graceMs = job.misfireGraceSeconds * 1000;
  if (now - job.scheduledAt <= graceMs) return 'run';
  if (job.misfire === 'skip') return 'skip';
  if (job.misfire === 'catch_up') return 'run';
  const following = nextRunAfter(job.schedule, job.scheduledAt, job.anchorAt);
  return following !== null && now - following > graceMs ? 'skip' : 'run';
}
