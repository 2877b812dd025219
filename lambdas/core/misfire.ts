import type { MisfirePolicy, Schedule } from '../../schemas/job.js';
import { latestRunAtOrBefore, nextRunAfter } from './schedule.js';

export const CATCH_UP_LIMIT = 100;
/** Skipped runs recorded per plan; older ones are only counted. */
export const SKIPPED_RECORD_LIMIT = 100;
/** Upper bound on runs one job hands to the queue in one tick (an every-second job with a 2-minute look-ahead needs 120). */
export const MAX_RUNS_PER_TICK = 1000;
/**
 * Queue-ahead: beyond the look-ahead a plan also takes the runs SQS can still delay (up to 900 s
 * ahead), as long as the plan holds at most this many runs — so a minute cron is advanced about
 * once per dozen runs and an every-10-s job once per 30, while no job floods the queue.
 */
export const QUEUE_AHEAD_RUNS = 30;

/** How far past the look-ahead a plan reaches: up to `horizonMs` from now, while it holds fewer than `maxRuns`. */
export interface QueueAhead {
  horizonMs: number;
  maxRuns: number;
}

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
 * A run is missed when `now` is more than the grace period past it. Every run within the look-ahead
 * is planned (the next tick must find the job due again in time); `ahead` adds later runs the queue
 * can hold back, so one send and one advance serve many runs.
 */
export function planDueRuns(
  job: ScheduledJob,
  now: number,
  lookaheadMs: number,
  ahead: QueueAhead = { horizonMs: 0, maxRuns: 0 },
): DuePlan {
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
    // Far behind: jump to the latest missed run instead of walking every one, and enumerate the runs
    // just before it (the ones worth a record: a reader of the history looks at the recent end).
    const latest = latestRunAtOrBefore(job.schedule, cutoff - 1, job.anchorAt);
    const walked = missed.at(-1) ?? -Infinity;
    if (latest !== null && latest > walked) {
      const recent = runsBefore(job, latest, walked, CATCH_UP_LIMIT + 1);
      // Runs between the two enumerated stretches are dropped too; their count is not known.
      const first = recent[0] ?? latest;
      if (next(walked) !== first) uncounted = 1;
      missed.push(...recent, latest);
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
  const farHorizon = now + ahead.horizonMs;
  while (t !== null && t <= farHorizon && runs.length < ahead.maxRuns) {
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

/** Up to `limit` runs before `latest` and after `floor`, oldest first. */
function runsBefore(job: ScheduledJob, latest: number, floor: number, limit: number): number[] {
  const runs: number[] = [];
  let t: number | null = latest;
  while (runs.length < limit) {
    t = latestRunAtOrBefore(job.schedule, t - 1, job.anchorAt);
    if (t === null || t <= floor) break;
    runs.push(t);
  }
  return runs.reverse();
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

/**
 * Which unrecorded runs a restart sends again (local recovery, after the in-memory queue was lost).
 * The look-back window may also hold runs a misfire plan dropped without a record; sent again, the
 * executor decides each late one alone, and under `catch_up` would run them all. So past the
 * catch-up limit only the latest missed run goes (as planDueRuns does); runs not yet missed all go.
 */
export function runsToResend(
  job: Pick<ScheduledJob, 'misfire' | 'misfireGraceSeconds'>,
  unrecorded: readonly number[],
  now: number,
): number[] {
  if (job.misfire !== 'catch_up') return [...unrecorded];
  const cutoff = now - job.misfireGraceSeconds * 1000;
  const missed = unrecorded.filter((t) => t < cutoff);
  if (missed.length <= CATCH_UP_LIMIT) return [...unrecorded];
  const latest = missed.reduce((a, b) => (b > a ? b : a));
  return unrecorded.filter((t) => t >= cutoff || t === latest);
}
