import type { Trigger } from '../../schemas/execution.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import { ConditionFailed } from '../core/errors.js';
import { newExecution, queuedOneOffRun } from '../core/execution/records.js';
import { outgoing, runMessage } from '../core/execution/run-messages.js';
import { isScheduledInstant } from '../core/execution/schedule-instants.js';
import { withNextRun } from '../core/job-schedule.js';
import type { DuePlan } from '../core/misfire.js';
import type { ExecutionStore } from '../core/ports/execution-store.js';
import type { OutgoingRun } from '../core/ports/run-queue.js';
import { iso } from '../core/time.js';
import { emit, type ServiceDeps } from './service-deps.js';

/** The runs a plan hands over: to send, and missed ones to record as skipped. */
export type RunPlan = Pick<DuePlan, 'runs' | 'skipped' | 'unrecordedSkips'>;

/**
 * Where the runs wait when the queue refuses them: the job was written already advanced past them,
 * so it goes back on the due index at its first run.
 */
export type FallBack = { kind: 'due-index'; written: JobRecord; firstRun: number };

export interface HandedOver {
  sent: number;
  skippedRecorded: number;
  /** The job as the fallback left it (due-index only): back at its first run, or as written when another write came first. */
  job?: JobRecord;
}

/**
 * "Plan, record skipped runs, send, fall back": how a created, rescheduled or resumed job's first
 * runs reach the run queue. The watcher sends the runs of many due jobs in shared batches from the
 * same pieces (runsOf, recordSkippedRuns) and leaves a job it could not send for a later tick;
 * one-off runs (triggers, dependency runs) are recorded first and fall back on the reaper
 * (recordOneOffRun, sendOneOffRuns). `plannedFrom` is the job as the plan starts: its `nextRunAt`
 * is the plan's first run (the skipped records' notification digest re-plans from it) and its
 * messages carry its plan revision.
 */
export async function handOver(
  deps: ServiceDeps,
  plannedFrom: JobRecord,
  plan: RunPlan,
  now: number,
  fallBack: FallBack,
): Promise<HandedOver> {
  const skippedRecorded = await recordSkippedRuns(deps, plannedFrom, plan, now);
  if (plan.runs.length === 0) return { sent: 0, skippedRecorded };
  const runs = runsOf(plannedFrom, plan, now);
  try {
    await deps.queue.send(runs);
    return { sent: runs.length, skippedRecorded };
  } catch (error) {
    deps.log.error('enqueue failed; leaving the runs to the watcher', {
      jobId: plannedFrom.jobId,
      error: String(error),
    });
    return {
      sent: 0,
      skippedRecorded,
      job: await backOnDueIndex(deps, fallBack.written, fallBack.firstRun, now),
    };
  }
}

/** A plan's runs as the messages that ask for them, carrying the plan revision they were planned under. */
export function runsOf(
  plannedFrom: Pick<JobRecord, 'jobId' | 'tenant' | 'planRev' | 'priority'>,
  plan: Pick<DuePlan, 'runs'>,
  now: number,
  trigger: Trigger = 'schedule',
): OutgoingRun[] {
  return plan.runs.map((run) =>
    outgoing(
      plannedFrom,
      runMessage(plannedFrom, iso(run.scheduledAt), trigger, 1, run.lateAccepted),
      run.scheduledAt,
      now,
    ),
  );
}

/** The written job without the runs it claimed to have sent, at its first run again; as written if another write came first. */
async function backOnDueIndex(deps: ServiceDeps, written: JobRecord, firstRun: number, now: number) {
  const { enqueuedThrough: _e, ...rest } = written;
  const fallback = withNextRun(rest, firstRun);
  try {
    await deps.jobs.replaceJob(fallback, { version: written.version, nextRunAt: written.nextRunAt }, now);
    return fallback;
  } catch (raced) {
    if (!(raced instanceof ConditionFailed)) throw raced;
    return written; // changed again meanwhile; that write placed it
  }
}

/**
 * Records the runs a misfire policy dropped as `skipped` executions and tells the listeners of each
 * one newly recorded. Returns how many were new: a redelivered tick finds them recorded already.
 */
export async function recordSkippedRuns(
  deps: ServiceDeps,
  job: JobRecord,
  plan: RunPlan,
  now: number,
): Promise<number> {
  const skipped = plan.skipped.map((at, i) => {
    const earlier =
      i === plan.skipped.length - 1 && plan.unrecordedSkips > 0
        ? `; ${plan.unrecordedSkips} earlier runs were also missed`
        : '';
    return newExecution(
      job,
      iso(at),
      'schedule',
      'skipped',
      now,
      deps.settings.hotRetentionSeconds,
      `missed (misfire policy ${job.misfire})${earlier}`,
    );
  });
  const created = await Promise.all(skipped.map((item) => deps.executions.createExecution(item)));
  const recorded = skipped.filter((_, i) => created[i]);
  for (const item of recorded) await emit(deps, (events) => events.finished(job, item));
  return recorded.length;
}

/**
 * Records a new execution scheduled at `from`, or at the first free millisecond after it, without a
 * read: an instant the job's schedule runs at is passed over (that run's id is taken before it has
 * a record), and two runs asked for in the same millisecond (two triggers, a trigger and a
 * dependency run) are told apart by the conditional put.
 */
export async function createAtFreeInstant(
  executions: ExecutionStore,
  job: JobRecord,
  from: number,
  make: (at: number) => ExecutionRecord,
): Promise<ExecutionRecord> {
  for (let at = from; ; at++) {
    if (isScheduledInstant(job, at)) continue;
    const execution = make(at);
    if (await executions.createExecution(execution)) return execution;
  }
}

/**
 * A run outside the schedule (a manual trigger, a dependency run): recorded queued on the pending
 * index, then handed over now; if the send fails, the reaper sends it.
 */
export async function queueOneOffRun(
  deps: ServiceDeps,
  job: JobRecord,
  trigger: 'manual' | 'dependency',
  now: number,
): Promise<ExecutionRecord> {
  const { execution, run } = await recordOneOffRun(deps, job, trigger, now);
  await sendOneOffRuns(deps, [run], `${trigger} run`);
  return execution;
}

/** A one-off run recorded queued (the reaper's to resend from here on), and the message that asks for it. */
export async function recordOneOffRun(
  deps: ServiceDeps,
  job: JobRecord,
  trigger: 'manual' | 'dependency',
  now: number,
): Promise<{ execution: ExecutionRecord; run: OutgoingRun }> {
  const retention = deps.settings.hotRetentionSeconds;
  const execution = await createAtFreeInstant(deps.executions, job, now, (at) =>
    queuedOneOffRun(job, iso(at), trigger, retention),
  );
  const at = Date.parse(execution.scheduledAt);
  const plan = { runs: [{ scheduledAt: at, lateAccepted: false }] };
  const [run] = runsOf(job, plan, at, trigger);
  return { execution, run: run! };
}

/** Sends recorded one-off runs together (ten a request, whatever job); if the queue refuses them, the reaper sends them. */
export async function sendOneOffRuns(deps: ServiceDeps, runs: OutgoingRun[], what: string): Promise<void> {
  if (runs.length === 0) return;
  try {
    await deps.queue.send(runs);
  } catch (error) {
    deps.log.error(`${what} enqueue failed; the reaper will resend`, {
      jobIds: [...new Set(runs.map((run) => run.message.jobId))],
      error: String(error),
    });
  }
}
