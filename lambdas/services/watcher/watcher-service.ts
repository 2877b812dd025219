import type { ExecutionRecord } from '../../../schemas/records.js';
import { hourOf } from '../../core/buckets.js';
import { ConditionFailed } from '../../core/errors.js';
import { REAP_SLACK_MS } from '../../core/execution/records.js';
import { MAX_QUEUE_DELAY_MS, outgoing, runMessage } from '../../core/execution/run-messages.js';
import { resent } from '../../core/execution/transitions.js';
import { afterPlan, scheduleOf } from '../../core/job-schedule.js';
import { withStatus } from '../../core/lifecycle.js';
import { planDueRuns } from '../../core/misfire.js';
import type { DueJob } from '../../core/ports/due-index.js';
import { HOUR, iso, ms } from '../../core/time.js';
import { handOver } from '../hand-over.js';
import type { ServiceDeps } from '../service-deps.js';

const PAGE = 100;
const PARALLEL_JOBS = 16;

export interface WatchReport {
  shard: number;
  dueJobs: number;
  runsEnqueued: number;
  skippedRecorded: number;
  raceLost: number;
  reaped: number;
  durationMs: number;
}

/**
 * One watcher tick for one shard: find jobs due within the look-ahead in the `due` index, send
 * their runs to the run queue, then advance them (send first: a crash in between causes a
 * redelivery that the claim absorbs, never a lost run). Then re-send pending executions whose
 * message is overdue (lost message, expired lease, long retry backoff).
 */
export class WatcherService {
  constructor(private readonly deps: ServiceDeps) {}

  async watchShard(shard: number): Promise<WatchReport> {
    const { clock, dueIndex, watermarks, settings } = this.deps;
    const started = clock.now();
    const upTo = started + settings.lookaheadSeconds * 1000;
    const report: WatchReport = {
      shard,
      dueJobs: 0,
      runsEnqueued: 0,
      skippedRecorded: 0,
      raceLost: 0,
      reaped: 0,
      durationMs: 0,
    };
    const watermark = (await watermarks.getWatermark(shard)) ?? hourOf(started - HOUR);
    let oldestLeft: string | null = null;
    for await (const page of dueIndex.dueJobs(shard, watermark, upTo)) {
      for (let i = 0; i < page.jobs.length; i += PARALLEL_JOBS) {
        const results = await Promise.allSettled(
          page.jobs.slice(i, i + PARALLEL_JOBS).map((job) => this.sendDueRuns(job, report)),
        );
        for (const result of results) {
          if (result.status === 'rejected') {
            oldestLeft ??= page.hour;
            this.deps.log.error('due job not advanced', { shard, error: String(result.reason) });
          }
        }
      }
    }
    // Older buckets are empty now (every due job moved to a later bucket), unless one failed.
    const current = hourOf(started);
    const next = oldestLeft !== null && oldestLeft < current ? oldestLeft : current;
    if (next !== watermark) await watermarks.setWatermark(shard, next);
    report.reaped = await this.reapPending(shard, started);
    report.durationMs = clock.now() - started;
    return report;
  }

  private async sendDueRuns(indexed: DueJob, report: WatchReport): Promise<void> {
    const { jobs, dueIndex, clock, settings } = this.deps;
    // The index is eventually consistent: act on a fresh read, and only if it is still due.
    const job = await jobs.getJob(indexed.jobId);
    if (job?.status !== 'active' || job.nextRunAt === undefined || job.nextRunAt !== indexed.nextRunAt)
      return;
    report.dueJobs++;
    const now = clock.now();
    const plan = planDueRuns(
      { ...scheduleOf(job), nextRunAt: ms(job.nextRunAt) },
      now,
      settings.lookaheadSeconds * 1000,
    );
    // Send first, advance second: a crash in between causes a redelivery the claim absorbs, never a lost run.
    const handed = await handOver(this.deps, job, plan, now, { kind: 'unmoved' });
    report.skippedRecorded += handed.skippedRecorded;
    report.runsEnqueued += handed.sent;
    const after = afterPlan(plan);
    try {
      await dueIndex.advanceJob(job, {
        expectedNextRunAt: job.nextRunAt,
        expectedVersion: job.version,
        nextRunAt: after.nextRunAt,
        enqueuedThrough: after.enqueuedThrough,
        ...(after.ended ? { status: withStatus(job, 'completed').status } : {}),
        now,
      });
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      report.raceLost++; // a PATCH, cancel or an overlapping tick moved it first; the claim absorbs any resend
    }
  }

  /**
   * Re-sends pending executions whose `pending.at` has passed (or ≤ upToMs, for recovery after a
   * restart that lost the queue's messages); returns how many were sent.
   */
  async reapPending(shard: number, now: number, upToMs?: number): Promise<number> {
    const { executions, jobs, queue } = this.deps;
    const upTo = iso(upToMs ?? now);
    let reaped = 0;
    let cursor: string | undefined;
    do {
      const page = await executions.queryPending(shard, upTo, PAGE, { cursor });
      cursor = page.nextCursor ?? undefined;
      for (const execution of page.items) {
        const due = attentionAt(execution, now);
        // Not yet within what SQS can delay: it stays on the index until a later tick.
        if (due === null || due - now > MAX_QUEUE_DELAY_MS) continue;
        const job = await jobs.getJob(execution.jobId);
        if (!job) continue;
        const bumped = resent(execution, job, Math.max(due, now) + REAP_SLACK_MS);
        if (!(await executions.deferSweep(bumped, execution.rev))) continue;
        const message = runMessage(
          job,
          execution.scheduledAt,
          execution.trigger,
          execution.attempts.length + 1,
        );
        await queue.send([outgoing(job, message, due, now)]);
        reaped++;
      }
    } while (cursor);
    return reaped;
  }
}

/** When a pending execution should next be delivered, or null when it is in good hands. */
function attentionAt(execution: ExecutionRecord, now: number): number | null {
  if (execution.status === 'running') {
    return execution.lease && execution.lease.until > now ? null : now;
  }
  if (execution.status !== 'queued') return null;
  return execution.nextAttemptAt ? ms(execution.nextAttemptAt) : ms(execution.scheduledAt);
}
