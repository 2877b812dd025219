import type { ExecutionRecord } from '../../../schemas/records.js';
import { hourOf } from '../../core/buckets.js';
import { ConditionFailed } from '../../core/errors.js';
import { REAP_SLACK_MS } from '../../core/execution/records.js';
import { MAX_QUEUE_DELAY_MS, outgoing, runMessage } from '../../core/execution/run-messages.js';
import { SEND_LEAD_MS } from '../../core/execution/send-window.js';
import { resent } from '../../core/execution/transitions.js';
import { afterPlan, scheduleOf } from '../../core/job-schedule.js';
import { withStatus } from '../../core/lifecycle.js';
import { type DuePlan, planDueRuns } from '../../core/misfire.js';
import type { DueJob } from '../../core/ports/due-index.js';
import type { OutgoingRun } from '../../core/ports/run-queue.js';
import { HOUR, iso, ms } from '../../core/time.js';
import { recordSkippedRuns, runsOf } from '../hand-over.js';
import { planReach, type ServiceDeps } from '../service-deps.js';
import { AlignedSends } from './aligned-sends.js';

const PAGE = 100;
const PARALLEL_JOBS = 16;
/** Due jobs whose runs go to the queue together (in batches of ten runs, whatever job they belong to). */
const JOBS_PER_SEND = 50;

interface PlannedJob {
  entry: DueJob;
  plan: DuePlan;
  skippedRecorded?: number;
}

/** Up to JOBS_PER_SEND due jobs of one hour bucket, planned together at `now`. */
interface PlannedGroup {
  hour: string;
  ready: PlannedJob[];
  now: number;
}

/** A tick in progress: its report and the oldest hour bucket a job was left in by a failure. */
interface Tick {
  report: WatchReport;
  oldestLeft: string | null;
}

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
 * redelivery that the claim absorbs, never a lost run). Runs not due yet are sent together just
 * before a second boundary (aligned-sends.ts), so the executor waits little for them. Then
 * re-send pending executions whose message is overdue (lost message, expired lease, long retry
 * backoff).
 */
export class WatcherService {
  constructor(private readonly deps: ServiceDeps) {}

  async watchShard(shard: number): Promise<WatchReport> {
    const { clock, dueIndex, watermarks } = this.deps;
    const started = clock.now();
    const upTo = started + this.deps.settings.lookaheadSeconds * 1000;
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
    const tick: Tick = { report, oldestLeft: null };
    // Groups whose runs are not due yet go together just before a second boundary (aligned-sends.ts).
    const aligned = new AlignedSends<PlannedGroup>(clock, SEND_LEAD_MS);
    for await (const page of dueIndex.dueJobs(shard, watermark, upTo)) {
      for (let i = 0; i < page.jobs.length; i += JOBS_PER_SEND) {
        const group = await this.planGroup(page.hour, page.jobs.slice(i, i + JOBS_PER_SEND), tick);
        const firstDueAt = Math.min(
          ...group.ready.flatMap(({ plan }) => plan.runs.map((r) => r.scheduledAt)),
        );
        // A group with no run to send (a plan that only ends its jobs) has nothing to wait for.
        if (!Number.isFinite(firstDueAt) || !aligned.hold(group, firstDueAt)) {
          await this.sendGroups([group], tick);
        }
        if (aligned.pressing()) await this.sendGroups(await aligned.release(), tick);
      }
    }
    await this.sendGroups(await aligned.release(), tick);
    // Older buckets are empty now (every due job moved to a later bucket), unless one failed.
    const current = hourOf(started);
    const { oldestLeft } = tick;
    const next = oldestLeft !== null && oldestLeft < current ? oldestLeft : current;
    if (next !== watermark) await watermarks.setWatermark(shard, next);
    report.reaped = await this.reapPending(shard, started);
    report.durationMs = clock.now() - started;
    return report;
  }

  /**
   * Plans each due job of a group from its index entry (no read of the job). Jobs that could not
   * be planned are left where they are, for a later tick.
   */
  private async planGroup(hour: string, due: DueJob[], tick: Tick): Promise<PlannedGroup> {
    const { clock, log } = this.deps;
    const now = clock.now();
    // Planning reads nothing, except after downtime (missed runs): then 16 jobs at a time.
    const planned: PromiseSettledResult<PlannedJob | null>[] = [];
    for (let i = 0; i < due.length; i += PARALLEL_JOBS) {
      const slice = due.slice(i, i + PARALLEL_JOBS);
      planned.push(...(await Promise.allSettled(slice.map((entry) => this.planDue(entry, now)))));
    }
    const ready = planned.flatMap((p) => (p.status === 'fulfilled' && p.value ? [p.value] : []));
    for (const p of planned) {
      if (p.status !== 'rejected') continue;
      log.error('due job not planned', { error: String(p.reason) });
      leftIn(tick, hour);
    }
    tick.report.dueJobs += ready.length;
    return { hour, ready, now };
  }

  /**
   * Sends the runs of planned groups, then advances their jobs. Each group's runs go in one send
   * (SendMessageBatch packs runs of different jobs, ten a request), all groups at once, with
   * DelaySeconds computed now, at send time. Send first, advance second: a crash in between
   * causes redeliveries the claim absorbs, never a lost run; a failed send leaves every job of
   * its group where it was, for the next tick.
   */
  private async sendGroups(groups: PlannedGroup[], tick: Tick): Promise<void> {
    if (groups.length === 0) return;
    const { clock, queue, log } = this.deps;
    const now = clock.now();
    const sent = await Promise.all(
      groups.map(async ({ ready }) => {
        const runs = ready.flatMap(({ entry, plan }) => runsOf(entry, plan, now));
        try {
          if (runs.length > 0) await queue.send(runs);
        } catch (error) {
          log.error('due runs not sent; a later tick sends them', {
            jobs: ready.length,
            error: String(error),
          });
          return false;
        }
        tick.report.runsEnqueued += runs.length;
        return true;
      }),
    );
    for (const [i, group] of groups.entries()) {
      if (!sent[i]) {
        if (group.ready.length > 0) leftIn(tick, group.hour);
        continue;
      }
      for (let j = 0; j < group.ready.length; j += PARALLEL_JOBS) {
        const advanced = await Promise.allSettled(
          group.ready.slice(j, j + PARALLEL_JOBS).map((job) => this.advance(job, group.now, tick.report)),
        );
        for (const result of advanced) {
          if (result.status !== 'rejected') continue;
          leftIn(tick, group.hour);
          log.error('due job not advanced', { error: String(result.reason) });
        }
      }
    }
  }

  /**
   * A due job's plan, from its index entry. A plan with missed runs (after downtime: runs to record
   * as skipped, late runs the misfire policy chose) is the rare case that reads the job: its
   * records and notifications need the whole job, and the policy must be the job's current one.
   * Null when the job is no longer due as the entry showed it.
   */
  private async planDue(entry: DueJob, now: number): Promise<PlannedJob | null> {
    if (entry.status !== 'active') return null;
    const { lookaheadMs, ahead } = planReach(this.deps.settings);
    const plan = planDueRuns(
      { ...scheduleOf(entry), nextRunAt: ms(entry.nextRunAt) },
      now,
      lookaheadMs,
      ahead,
    );
    if (plan.skipped.length === 0 && !plan.runs.some((run) => run.lateAccepted)) return { entry, plan };
    const job = await this.deps.jobs.getJob(entry.jobId);
    if (job?.status !== 'active' || job.version !== entry.version || job.nextRunAt !== entry.nextRunAt)
      return null;
    const skippedRecorded = await recordSkippedRuns(this.deps, job, plan, now);
    return { entry, plan, skippedRecorded };
  }

  private async advance(planned: PlannedJob, now: number, report: WatchReport): Promise<void> {
    const { entry, plan } = planned;
    report.skippedRecorded += planned.skippedRecorded ?? 0;
    const after = afterPlan(plan);
    try {
      await this.deps.dueIndex.advanceJob(entry, {
        expectedNextRunAt: entry.nextRunAt,
        expectedVersion: entry.version,
        nextRunAt: after.nextRunAt,
        enqueuedThrough: after.enqueuedThrough,
        ...(after.ended ? { status: withStatus(entry, 'completed').status } : {}),
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
      const resend: OutgoingRun[] = [];
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
        resend.push(outgoing(job, message, due, now));
      }
      // One send for the page: ten runs a request, whatever job. If it fails, each deferred sweep
      // brings its execution back after the slack.
      if (resend.length > 0) await queue.send(resend);
      reaped += resend.length;
    } while (cursor);
    return reaped;
  }
}

/** Notes that a job of `hour` stays unmoved: the watermark may not pass that bucket. */
function leftIn(tick: Tick, hour: string): void {
  if (tick.oldestLeft === null || hour < tick.oldestLeft) tick.oldestLeft = hour;
}

/** When a pending execution should next be delivered, or null when it is in good hands. */
function attentionAt(execution: ExecutionRecord, now: number): number | null {
  if (execution.status === 'running') {
    return execution.lease && execution.lease.until > now ? null : now;
  }
  if (execution.status !== 'queued') return null;
  return execution.nextAttemptAt ? ms(execution.nextAttemptAt) : ms(execution.scheduledAt);
}
