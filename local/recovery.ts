import { MAX_QUEUE_DELAY_MS, outgoing, runMessage } from '../lambdas/core/execution/run-messages.js';
import { executionIdFor } from '../lambdas/core/ids.js';
import { runsToResend } from '../lambdas/core/misfire.js';
import type { OutgoingRun } from '../lambdas/core/ports/run-queue.js';
import { nextRunAfter } from '../lambdas/core/schedule.js';
import { iso, ms } from '../lambdas/core/time.js';
import type { ServiceDeps } from '../lambdas/services/service-deps.js';
import type { WatcherService } from '../lambdas/services/watcher/watcher-service.js';

/**
 * How far before a job's last enqueued run recovery looks for runs whose message was lost: the
 * queue-ahead (that run may be up to 900 s after the tick that sent it) plus 15 minutes before
 * that tick, for runs an earlier tick queued that had not run yet.
 */
const LOOKBACK_MS = MAX_QUEUE_DELAY_MS + 15 * 60 * 1000;
const MAX_RUNS_PER_JOB = 2000;
const FAR_FUTURE_MS = 366 * 24 * 3600 * 1000;

export interface RecoveryReport {
  pendingResent: number;
  scheduledResent: number;
}

/**
 * The local SQS emulator keeps messages in memory, so a restart loses what was on the queue.
 * Two kinds of run can be there: executions with a record that are not final (manual triggers,
 * retries waiting, leases of a killed executor) — found on the `pending` index — and scheduled
 * runs handed to the queue before any record exists — found from each job's `enqueuedThrough`
 * and the schedule. Both are sent again; the claim absorbs any that were not in fact lost.
 */
export async function recoverLostRuns(deps: ServiceDeps, watch: WatcherService): Promise<RecoveryReport> {
  const now = deps.clock.now();
  let pendingResent = 0;
  for (let shard = 0; shard < deps.settings.shards; shard++) {
    pendingResent += await watch.reapPending(shard, now, now + FAR_FUTURE_MS);
  }
  let scheduledResent = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.jobs.scanJobs(cursor);
    cursor = page.nextCursor ?? undefined;
    for (const job of page.items) {
      if (job.status !== 'active' || job.enqueuedThrough === undefined) continue;
      const through = ms(job.enqueuedThrough);
      // Nothing was enqueued for this schedule before the job (or its schedule) existed.
      const since = ms(job.scheduleChangedAt ?? job.createdAt);
      const runs = enqueuedRuns(job.schedule, through, since, job.anchorAt ? ms(job.anchorAt) : undefined);
      const ids = runs.map((at) => executionIdFor(job.jobId, iso(at)));
      const recorded = await deps.executions.getExecutions(ids);
      const existing = new Set(recorded.map((e) => e.executionId));
      const unrecorded = runs.filter((_, i) => !existing.has(ids[i]!));
      const lost: OutgoingRun[] = runsToResend(job, unrecorded, now).map((at) =>
        outgoing(job, runMessage(job, iso(at), 'schedule'), at, now),
      );
      // Claimed by an executor of the dead process: on no index, its message was its only cover.
      for (const held of recorded.filter((e) => e.status === 'running' && !e.awaitingCallback)) {
        lost.push(
          outgoing(job, runMessage(job, held.scheduledAt, 'schedule', held.attempts.length + 1), now, now),
        );
      }
      if (lost.length > 0) await deps.queue.send(lost);
      scheduledResent += lost.length;
    }
  } while (cursor);
  return { pendingResent, scheduledResent };
}

/**
 * Runs of the schedule in (through − LOOKBACK, through] and not before `since`, the window whose
 * messages may have been lost.
 */
function enqueuedRuns(
  schedule: Parameters<typeof nextRunAfter>[0],
  through: number,
  since: number,
  anchorAt?: number,
): number[] {
  if (schedule.type === 'once' || schedule.type === 'immediate') return [through];
  const runs: number[] = [];
  let t = nextRunAfter(schedule, Math.max(through - LOOKBACK_MS, since - 1), anchorAt);
  while (t !== null && t <= through && runs.length < MAX_RUNS_PER_JOB) {
    runs.push(t);
    t = nextRunAfter(schedule, t, anchorAt);
  }
  return runs;
}
