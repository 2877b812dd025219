import type { Execution, Job, Schedule } from '../client/index.js';
import { fields, table } from './table.js';
import { shortTime, span, timeWithRelative } from './time.js';

export function describeSchedule(schedule: Schedule): string {
  switch (schedule.type) {
    case 'cron':
      return `cron "${schedule.expression}" ${schedule.timezone ?? 'UTC'}`;
    case 'rate':
      return schedule.everySeconds === undefined
        ? `${schedule.expression}`
        : `every ${span(schedule.everySeconds * 1000)}`;
    case 'once':
      // `at(2026-03-08T02:30:00)` is a local time in the schedule's zone: shown as written.
      return schedule.at.startsWith('at(')
        ? `once ${schedule.at} ${schedule.timezone ?? 'UTC'}`
        : `once at ${shortTime(new Date(schedule.at).toISOString())}`;
    case 'immediate':
      return 'immediately';
    default:
      return (schedule as { type: string }).type;
  }
}

export function jobsTable(jobs: Job[], now: number): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'SCHEDULE', 'NEXT RUN', 'LAST RUN'],
    jobs.map((job) => [
      job.id,
      job.name ?? '-',
      job.status,
      describeSchedule(job.schedule),
      timeWithRelative(job.nextRunAt, now),
      job.lastRun ? `${job.lastRun.status} ${shortTime(job.lastRun.finishedAt)}` : '-',
    ]),
  );
}

/** One line per target type: what the job calls. */
export function describeTarget(target: Job['target']): string {
  switch (target.type) {
    case 'http':
      return `${target.method ?? 'POST'} ${target.url}`;
    case 'lambda':
      return `lambda ${target.functionArn} (${target.invocationType})`;
    case 'sqs':
      return `sqs ${target.queueUrl}`;
    case 'eventbridge':
      return `eventbridge ${target.eventBusArn} ${target.source}/${target.detailType}`;
    case 'stepfunctions':
      return `stepfunctions ${target.stateMachineArn}`;
    case 'sns':
      return `sns ${target.topicArn}`;
  }
}

export function jobDetail(job: Job, now: number): string {
  const target = job.target;
  const headers = target.type === 'http' ? Object.keys(target.headers ?? {}) : [];
  return fields([
    ['id', job.id],
    ['name', job.name ?? undefined],
    ['status', job.status],
    ['schedule', describeSchedule(job.schedule)],
    ['target', describeTarget(target)],
    ['role', target.type === 'http' ? undefined : target.roleArn],
    ['headers', headers.length ? headers.join(', ') : undefined],
    ['next run', timeWithRelative(job.nextRunAt, now)],
    [
      'last run',
      job.lastRun
        ? `${job.lastRun.status} ${shortTime(job.lastRun.finishedAt)} (${job.lastRun.executionId})`
        : '-',
    ],
    ['timeout', `${job.timeoutSeconds}s`],
    ['retry', `${job.retry.maxAttempts} attempts, ${job.retry.backoff}`],
    ['priority', job.priority],
    ['misfire', `${job.misfire} (grace ${job.misfireGraceSeconds}s)`],
    ['depends on', job.dependsOn.length ? job.dependsOn.join(', ') : undefined],
    ['version', String(job.version)],
    ['created', shortTime(job.createdAt)],
    ['updated', shortTime(job.updatedAt)],
  ]);
}

function lastError(execution: Execution): string {
  const last = execution.attempts.at(-1);
  if (!last) return execution.reason ?? '-';
  if (last.error) return last.error;
  return last.statusCode === null ? '-' : `HTTP ${last.statusCode}`;
}

function late(execution: Execution): string {
  return execution.lateByMs === null ? '-' : `${execution.lateByMs} ms`;
}

export function executionsTable(executions: Execution[]): string {
  return table(
    ['SCHEDULED', 'TRIGGER', 'STATUS', 'ATTEMPTS', 'LATE', 'RESULT', 'EXECUTION ID'],
    executions.map((e) => [
      shortTime(e.scheduledAt),
      e.trigger,
      e.status,
      String(e.attempts.length),
      late(e),
      lastError(e),
      e.executionId,
    ]),
  );
}

export function deadLettersTable(executions: Execution[]): string {
  return table(
    ['EXECUTION ID', 'JOB', 'SCHEDULED', 'ATTEMPTS', 'LAST ERROR'],
    executions.map((e) => [
      e.executionId,
      e.jobId,
      shortTime(e.scheduledAt),
      String(e.attempts.length),
      lastError(e),
    ]),
  );
}

export function executionDetail(execution: Execution): string {
  const head = fields([
    ['execution', execution.executionId],
    ['job', execution.jobId],
    ['scheduled', shortTime(execution.scheduledAt)],
    ['trigger', execution.trigger],
    ['status', execution.status],
    ['started', shortTime(execution.startedAt)],
    ['finished', shortTime(execution.finishedAt)],
    ['late by', late(execution)],
    ['next attempt', execution.nextAttemptAt ? shortTime(execution.nextAttemptAt) : undefined],
    ['reason', execution.reason ?? undefined],
  ]);
  if (execution.attempts.length === 0) return `${head}\n\nno attempts yet`;
  const attempts = table(
    ['#', 'STARTED', 'STATUS', 'HTTP', 'DURATION', 'ERROR / RETURNED'],
    execution.attempts.map((a) => [
      String(a.attempt),
      shortTime(a.startedAt),
      a.status,
      a.statusCode === null ? '-' : String(a.statusCode),
      a.durationMs === null ? '-' : `${a.durationMs} ms`,
      // An AWS target's answer (message id, execution ARN, …) when there is no error.
      a.error ??
        (a.response
          ? Object.entries(a.response)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')
          : '-'),
    ]),
  );
  return `${head}\n\n${attempts}`;
}
