import type { ExecutionStatus } from '../../../schemas/job.js';
import type { NotificationMessage, NotificationPayload } from '../../../schemas/notification.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { scheduleOf } from '../../core/job-schedule.js';
import { planDueRuns } from '../../core/misfire.js';
import type { NotificationQueue } from '../../core/ports/notification-queue.js';
import { iso, ms } from '../../core/time.js';
import { isDependencySkip } from '../dependencies/dependency-service.js';
import type { ServiceDeps } from '../service-deps.js';
import { timesOf } from '../views.js';

type NotificationEvent = NotificationPayload['event'];

export interface MissedDigest {
  /** False for the other skipped runs of a tick whose newest one carries the digest. */
  notify: boolean;
  count: number;
  firstScheduledAt: string;
  lastScheduledAt: string;
}

/**
 * The watcher records every run one tick drops as a `skipped` execution and reports each; one
 * notification should cover them all. The tick's plan is a pure function of the job as the
 * watcher read it and the tick's instant (the records' `finishedAt`), so it is recomputed here:
 * the newest dropped run carries the count, the others stay quiet. The newest, because older
 * ones may already have records (a resume re-plans from a little before the pause, and the runs
 * that did run there are not recorded again), and a run not recorded now is not reported. A skip
 * that is not part of such a plan (the executor found a queued run too late) stands alone.
 */
export function missedDigest(job: JobRecord, execution: ExecutionRecord, lookaheadMs: number): MissedDigest {
  const single = {
    notify: true,
    count: 1,
    firstScheduledAt: execution.scheduledAt,
    lastScheduledAt: execution.scheduledAt,
  };
  if (execution.trigger !== 'schedule' || !job.nextRunAt || !execution.finishedAt) return single;
  const plan = planDueRuns(
    { ...scheduleOf(job), nextRunAt: ms(job.nextRunAt) },
    ms(execution.finishedAt),
    lookaheadMs,
  );
  const scheduledAt = ms(execution.scheduledAt);
  if (!plan.skipped.includes(scheduledAt)) return single;
  return {
    notify: plan.skipped.at(-1) === scheduledAt,
    // A very long outage is not enumerated run by run: then this is a lower bound, as in the watcher.
    count: plan.skipped.length + plan.unrecordedSkips,
    // The plan starts at the job's next run: the first missed one, recorded or not.
    firstScheduledAt: job.nextRunAt,
    lastScheduledAt: iso(plan.skipped.at(-1)!),
  };
}

/** The event a final status announces; `failed`/`timed_out` were announced attempt by attempt already. */
function eventOfFinal(execution: ExecutionRecord): NotificationEvent | null {
  switch (execution.status) {
    case 'succeeded':
      return 'succeeded';
    case 'dead':
      return 'dead';
    case 'cancelled':
      return 'cancelled';
    case 'skipped':
      // A dependent skipped for its upstream's failure was not missed; the upstream's own
      // `failed`/`dead` notification tells the story. Any other skip (misfire, overlap) was.
      return isDependencySkip(execution) ? null : 'missed';
    default:
      return null;
  }
}

/**
 * Turns execution events into notifications on the notifications queue, one message per matching
 * subscription. Only enqueues: delivery (and a slow or failing receiver) is the notifier's business.
 */
export class NotificationService {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'clock' | 'settings'>,
    private readonly queue: NotificationQueue,
  ) {}

  async started(job: JobRecord, execution: ExecutionRecord, lateByMs: number): Promise<void> {
    const late = job.notifications.filter(
      (n) => n.on.includes('late') && lateByMs > (n.lateAfterSeconds ?? 60) * 1000,
    );
    if (late.length === 0) return;
    const payload = this.payload(job, { ...execution, lateByMs }, 'late', `${execution.executionId}#late`);
    await this.publish(job, late, payload);
  }

  async attemptFailed(job: JobRecord, execution: ExecutionRecord): Promise<void> {
    if (!subscribed(job, 'failed')) return;
    const attempt = execution.attempts.at(-1);
    const status: ExecutionStatus = attempt?.status === 'timed_out' ? 'timed_out' : 'failed';
    const id = `${execution.executionId}#failed#${execution.attempts.length}`;
    await this.publish(
      job,
      forEvent(job, 'failed'),
      this.payload(job, { ...execution, status }, 'failed', id),
    );
  }

  async finished(job: JobRecord, execution: ExecutionRecord): Promise<void> {
    const event = eventOfFinal(execution);
    if (event === null || !subscribed(job, event)) return;
    let payload = this.payload(job, execution, event, `${execution.executionId}#${event}`);
    if (event === 'missed') {
      const digest = missedDigest(job, execution, this.deps.settings.lookaheadSeconds * 1000);
      if (!digest.notify) return;
      const { notify: _n, ...missed } = digest;
      payload = { ...payload, missed };
    }
    await this.publish(job, forEvent(job, event), payload);
  }

  private payload(
    job: JobRecord,
    execution: ExecutionRecord,
    event: NotificationEvent,
    id: string,
  ): NotificationPayload {
    const base = this.deps.settings.publicUrl ?? '';
    const lastError = execution.attempts.at(-1)?.error ?? null;
    const error =
      event === 'succeeded'
        ? null
        : execution.status === 'skipped' || execution.status === 'cancelled'
          ? (execution.reason ?? lastError)
          : lastError;
    return {
      id,
      event,
      occurredAt: iso(this.deps.clock.now()),
      job: { id: job.jobId, name: job.name ?? null },
      execution: {
        id: execution.executionId,
        scheduledAt: execution.scheduledAt,
        trigger: execution.trigger,
        ...timesOf(execution),
      },
      status: execution.status,
      attempts: execution.attempts.length,
      error,
      links: {
        execution: `${base}/v1/executions/${encodeURIComponent(execution.executionId)}`,
        job: `${base}/v1/jobs/${job.jobId}`,
      },
    };
  }

  private async publish(
    job: JobRecord,
    subscriptions: JobRecord['notifications'],
    payload: NotificationPayload,
  ): Promise<void> {
    const messages = subscriptions.map(
      (n): NotificationMessage => ({
        v: 1,
        tenant: job.tenant,
        channel: n.webhook !== undefined ? { webhook: n.webhook } : { email: n.email! },
        payload,
      }),
    );
    if (messages.length > 0) await this.queue.send(messages.map((message) => ({ message })));
  }
}

function subscribed(job: JobRecord, event: NotificationEvent): boolean {
  return job.notifications.some((n) => n.on.includes(event));
}

function forEvent(job: JobRecord, event: NotificationEvent): JobRecord['notifications'] {
  return job.notifications.filter((n) => n.on.includes(event));
}
