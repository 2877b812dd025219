import { MAX_QUEUE_DELAY_MS, outgoing, runMessage } from '../lambdas/core/execution/run-messages.js';
import { executionIdFor } from '../lambdas/core/ids.js';
import { CATCH_UP_LIMIT, runsToResend } from '../lambdas/core/misfire.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { OutgoingRun } from '../lambdas/core/ports/run-queue.js';
import { nextRunAfter } from '../lambdas/core/schedule.js';
import { iso, ms } from '../lambdas/core/time.js';
import type { ServiceDeps } from '../lambdas/services/service-deps.js';
import type { WatcherService } from '../lambdas/services/watcher/watcher-service.js';
import { type ReplayTarget, readJournals, removeReplayed, resendMessages } from './journal-replay.js';
import type { JournaledMessage, QueueJournal } from './queue-journal.js';

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

/** What GET /healthz and the runtime say of the recovery of the last session's queued messages. */
export interface RecoveryStatus {
  state: 'running' | 'done' | 'failed';
  /** `queue journal`: the last session's journal replayed; `schedule scan`: a data directory from before the journal. */
  via: 'queue journal' | 'schedule scan';
  startedAt: string;
  finishedAt?: string;
  /** Messages to send again, once the journals are read. */
  toResend?: number;
  /** Messages (or runs, by the scan) sent again so far. */
  resent: number;
  error?: string;
}

export interface BackgroundRecovery {
  /** The status now (the same object throughout, updated in place). */
  readonly status: RecoveryStatus;
  /** Settles with the final status. */
  readonly finished: Promise<RecoveryStatus>;
  /** Begins the work (once the API listens, so the first health check does not queue behind it). */
  start(): void;
  /** Stops between two batches; a replay left unfinished is done again by the next start. */
  stop(): Promise<void>;
}

/**
 * Puts back, in the background, what the last session left on its queues: the API answers
 * meanwhile. With journals (docs/decisions/local-queue-journal.md) the cost follows the messages
 * that were on the queues, not the jobs; a data directory without one is recovered by the
 * schedule scan below, as before the journal.
 */
export function recoverInBackground(
  deps: ServiceDeps,
  watch: WatcherService,
  journal: QueueJournal,
  target: Omit<ReplayTarget, 'now' | 'onProgress' | 'stopped'>,
  log: Logger,
): BackgroundRecovery {
  const files = journal.replayFiles();
  const status: RecoveryStatus = {
    state: 'running',
    via: files.length > 0 ? 'queue journal' : 'schedule scan',
    startedAt: iso(deps.clock.now()),
    resent: 0,
  };
  let stopped = false;
  const run = async () => {
    if (stopped) throw new Error('stopped before it began; the next start recovers');
    status.startedAt = iso(deps.clock.now());
    if (files.length === 0) {
      const report = await recoverLostRuns(deps, watch);
      status.resent = report.pendingResent + report.scheduledResent;
      return;
    }
    journal.holdCompaction = true;
    const messages = await boundCatchUp(await readJournals(files), deps);
    status.toResend = messages.size;
    const out = await resendMessages(messages, {
      ...target,
      now: deps.clock.now,
      onProgress: (sent) => {
        status.resent = sent;
      },
      stopped: () => stopped,
    });
    if (out.unknownQueue > 0)
      log.warn(`recovery: ${out.unknownQueue} messages of queues that no longer exist were dropped`);
    if (stopped) throw new Error('stopped before the replay finished; the next start replays again');
    removeReplayed(files);
    journal.holdCompaction = false;
  };
  let begin!: () => void;
  const started = new Promise<void>((resolve) => {
    begin = resolve;
  });
  const finished = started.then(run).then(
    () => {
      status.state = 'done';
      status.finishedAt = iso(deps.clock.now());
      return status;
    },
    (error: unknown) => {
      status.state = 'failed';
      status.finishedAt = iso(deps.clock.now());
      status.error = (error as Error).message;
      if (!stopped)
        log.error("recovery of the last session's queued messages failed", { error: status.error });
      return status;
    },
  );
  return {
    status,
    finished,
    start: begin,
    stop: async () => {
      stopped = true;
      begin();
      await finished;
    },
  };
}

/**
 * Keeps `catch_up` to its bound on a replay as the scan does (runsToResend): a job with more
 * scheduled runs on the queue than the catch-up limit is read, and its missed runs past the limit
 * are left out but the latest. Other messages go back unread.
 */
async function boundCatchUp(
  messages: Map<string, JournaledMessage>,
  deps: ServiceDeps,
): Promise<Map<string, JournaledMessage>> {
  const byJob = new Map<string, { id: string; at: number }[]>();
  for (const [id, m] of messages) {
    const run = scheduledRunOf(m.body);
    if (!run) continue;
    const list = byJob.get(run.jobId) ?? [];
    list.push({ id, at: run.at });
    byJob.set(run.jobId, list);
  }
  for (const [jobId, runs] of byJob) {
    if (runs.length <= CATCH_UP_LIMIT) continue;
    const job = await deps.jobs.getJob(jobId);
    if (!job) continue;
    const keep = new Set(
      runsToResend(
        job,
        runs.map((r) => r.at),
        deps.clock.now(),
      ),
    );
    for (const run of runs) if (!keep.has(run.at)) messages.delete(run.id);
  }
  return messages;
}

/** The job and instant of a scheduled run's message; null for anything else. */
function scheduledRunOf(body: string): { jobId: string; at: number } | null {
  try {
    const m = JSON.parse(body) as { jobId?: unknown; scheduledAt?: unknown; trigger?: unknown };
    if (m.trigger !== 'schedule' || typeof m.jobId !== 'string' || typeof m.scheduledAt !== 'string')
      return null;
    const at = Date.parse(m.scheduledAt);
    return Number.isNaN(at) ? null : { jobId: m.jobId, at };
  } catch {
    return null;
  }
}

/**
 * The scan, for a data directory from before the queue journal. The local SQS emulator keeps
 * messages in memory, so a restart loses what was on the queue.
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
