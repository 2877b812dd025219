import type { Execution } from '../../schemas/execution.js';
import type { Job } from '../../schemas/job.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import { redactHeaders } from '../core/redaction.js';
import { firstRunAt } from '../core/schedule.js';
import { iso, ms } from '../core/time.js';

/**
 * The next run a user waits for. The stored `nextRunAt` is where the watcher resumes, so runs it has
 * already handed to the queue (through `enqueuedThrough`, up to the look-ahead) come before it: a
 * once-job created 10 s ahead must not read "no next run" while its run waits on the queue.
 */
export function upcomingRunOf(item: JobRecord, now: number): string | null {
  if (item.status === 'active' && item.enqueuedThrough !== undefined && ms(item.enqueuedThrough) >= now) {
    const first = firstRunAt(item.schedule, now, item.anchorAt ? ms(item.anchorAt) : undefined);
    if (first !== null && first <= ms(item.enqueuedThrough)) return iso(first);
  }
  return item.nextRunAt ?? null;
}

/** The public Job resource of a stored job. */
export function jobView(item: JobRecord, lastRun: ExecutionRecord | null, now: number): Job {
  return {
    id: item.jobId,
    name: item.name ?? null,
    status: item.status,
    schedule: item.schedule,
    // Credentials stay stored (they are sent to the target) but never leave through the API.
    target:
      item.target.type === 'http'
        ? { ...item.target, headers: redactHeaders(item.target.headers) }
        : item.target,
    timeoutSeconds: item.timeoutSeconds,
    retry: item.retry,
    priority: item.priority,
    ...(item.concurrency === undefined ? {} : { concurrency: item.concurrency }),
    misfire: item.misfire,
    misfireGraceSeconds: item.misfireGraceSeconds,
    jitterSeconds: item.jitterSeconds,
    dependsOn: item.dependsOn,
    onDependencyFailure: item.onDependencyFailure,
    notifications: item.notifications,
    nextRunAt: upcomingRunOf(item, now),
    lastRun: lastRun
      ? { executionId: lastRun.executionId, status: lastRun.status, finishedAt: lastRun.finishedAt ?? null }
      : null,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

/** When an execution started and finished, and how late it started: null where it has not. */
export function timesOf(item: ExecutionRecord): Pick<Execution, 'startedAt' | 'finishedAt' | 'lateByMs'> {
  return {
    startedAt: item.startedAt ?? null,
    finishedAt: item.finishedAt ?? null,
    lateByMs: item.lateByMs ?? null,
  };
}

/** The public Execution resource of a stored execution. */
export function executionView(item: ExecutionRecord): Execution {
  return {
    executionId: item.executionId,
    jobId: item.jobId,
    scheduledAt: item.scheduledAt,
    trigger: item.trigger,
    status: item.status,
    attempts: item.attempts,
    ...timesOf(item),
    ...(item.nextAttemptAt ? { nextAttemptAt: item.nextAttemptAt } : {}),
    ...(item.reason ? { reason: item.reason } : {}),
  };
}
