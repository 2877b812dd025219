/**
 * Examples for the OpenAPI document. Request examples are bodies as a client writes them; response
 * examples are built by running them through the same zod schemas the API answers with, so an
 * example cannot drift from the contract (the unit test and Redocly's lint check both directions).
 */
import type { z } from 'zod';
import { Execution } from '../../schemas/execution.js';
import { CreateJobBody, Job } from '../../schemas/job.js';
import { NotificationPayload } from '../../schemas/notification.js';

const JOB_ID = 'job_01JQ8Z6V3B4X9K2M7N5P0R1S2T';
const UPSTREAM_ID = 'job_01JQ8Z5T2A3W8J1K6M4N9P0Q1R';
/** Monday 9 March 2026, 02:30 in New York (EDT since the day before). */
const SCHEDULED_AT = '2026-03-09T06:30:00.000Z';
const EXECUTION_ID = `${JOB_ID}:${SCHEDULED_AT}`;

type Examples = Record<string, { summary: string; value: unknown }>;

const once = {
  schedule: { type: 'once', at: '2026-03-08T07:00:00.000Z' },
  target: { url: 'https://example.com/hook' },
} satisfies z.input<typeof CreateJobBody>;

const weekdayReport = {
  name: 'weekday-report',
  schedule: { type: 'cron', expression: '30 2 * * 1-5', timezone: 'America/New_York' },
  target: { url: 'https://example.com/report', method: 'GET', headers: { 'x-team': 'data' } },
} satisfies z.input<typeof CreateJobBody>;

/** Every field a create body takes (test/unit/api/openapi-types.test.ts type-checks the same shape). */
const everyField = {
  name: 'nightly-export',
  schedule: {
    type: 'cron',
    expression: '0 30 1 * * *',
    timezone: 'Europe/Paris',
    startAt: '2026-04-01T00:00:00Z',
    endAt: '2026-12-31T23:59:59Z',
  },
  target: {
    type: 'http',
    url: 'https://example.com/export',
    method: 'POST',
    headers: { authorization: 'Bearer s3cr3t', 'x-team': 'data' },
    body: '{"export":"daily"}',
  },
  timeoutSeconds: 120,
  retry: {
    maxAttempts: 5,
    backoff: 'exponential',
    initialDelaySeconds: 2,
    maxDelaySeconds: 600,
    jitter: 'full',
    retryOn4xx: false,
  },
  priority: 'high',
  concurrency: { max: 1, overlap: 'queue' },
  misfire: 'catch_up',
  misfireGraceSeconds: 300,
  jitterSeconds: 10,
  dependsOn: [UPSTREAM_ID],
  onDependencyFailure: 'skip',
  notifications: [
    { on: ['failed', 'dead', 'missed'], webhook: 'https://hooks.example.com/scheduler' },
    { on: ['late'], webhook: 'https://hooks.example.com/late', lateAfterSeconds: 120 },
    { on: ['succeeded'], email: 'team@example.com' },
  ],
} satisfies z.input<typeof CreateJobBody>;

/** An AWS-native target: the executor assumes the role (ExternalId = the tenant) to invoke. */
const lambdaEveryFiveMinutes = {
  name: 'compact-index',
  schedule: { type: 'rate', everySeconds: 300 },
  target: {
    type: 'lambda',
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:compact-index:live',
    payload: '{"execution":"<scheduler.execution-id>"}',
    roleArn: 'arn:aws:iam::123456789012:role/scheduler-invoke-compact-index',
  },
} satisfies z.input<typeof CreateJobBody>;

export const createJobExamples: Examples = {
  once: { summary: 'The smallest body: one call at an instant, POST by default', value: once },
  weekdayReport: { summary: 'Every weekday at 02:30 New York time', value: weekdayReport },
  lambda: { summary: 'An AWS Lambda function every five minutes', value: lambdaEveryFiveMinutes },
  everyField: { summary: 'Every field', value: everyField },
};

export const patchJobExamples: Examples = {
  schedule: {
    summary: 'A new schedule (a field given replaces the stored one as a whole)',
    value: { schedule: { type: 'cron', expression: '0 7 * * 1-5', timezone: 'America/New_York' } },
  },
  clearName: { summary: '`null` clears an optional field', value: { name: null, concurrency: null } },
};

export const previewExamples: Examples = {
  dst: {
    summary: '02:30 in New York across the spring-forward night of 8 March 2026',
    value: {
      schedule: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' },
      from: '2026-03-07T00:00:00Z',
      count: 3,
    },
  },
};

export const previewResponseExample = {
  runs: ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
};

export const completeExamples: Examples = {
  succeeded: { summary: 'The work succeeded', value: { status: 'succeeded' } },
  failed: {
    summary: 'The work failed: the retry policy decides what follows',
    value: { status: 'failed', error: 'upstream export timed out' },
  },
};

export const executionExample: z.output<typeof Execution> = Execution.parse({
  executionId: EXECUTION_ID,
  jobId: JOB_ID,
  scheduledAt: SCHEDULED_AT,
  trigger: 'schedule',
  status: 'succeeded',
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-03-09T06:30:00.012Z',
      finishedAt: '2026-03-09T06:30:00.053Z',
      status: 'succeeded',
      statusCode: 200,
      error: null,
      durationMs: 41,
    },
  ],
  startedAt: '2026-03-09T06:30:00.012Z',
  finishedAt: '2026-03-09T06:30:00.053Z',
  lateByMs: 12,
});

export const deadExecutionExample: z.output<typeof Execution> = Execution.parse({
  executionId: `${JOB_ID}:2026-03-10T06:30:00.000Z`,
  jobId: JOB_ID,
  scheduledAt: '2026-03-10T06:30:00.000Z',
  trigger: 'schedule',
  status: 'dead',
  attempts: [1, 2, 3].map((attempt) => ({
    attempt,
    startedAt: `2026-03-10T06:30:0${2 * attempt}.000Z`,
    finishedAt: `2026-03-10T06:30:0${2 * attempt}.120Z`,
    status: 'failed',
    statusCode: 503,
    error: 'HTTP 503',
    durationMs: 120,
  })),
  startedAt: '2026-03-10T06:30:02.000Z',
  finishedAt: '2026-03-10T06:30:06.120Z',
  lateByMs: 9,
});

/** The weekday report as the API shows it: defaults filled in, a credential header shown as `***`. */
export const jobExample: z.output<typeof Job> = Job.parse({
  id: JOB_ID,
  ...CreateJobBody.parse({
    ...weekdayReport,
    target: { ...weekdayReport.target, headers: { ...weekdayReport.target.headers, authorization: '***' } },
  }),
  status: 'active',
  nextRunAt: '2026-03-10T06:30:00.000Z',
  lastRun: { executionId: EXECUTION_ID, status: 'succeeded', finishedAt: executionExample.finishedAt },
  version: 3,
  createdAt: '2026-03-06T15:04:05.000Z',
  updatedAt: '2026-03-09T06:30:00.053Z',
});

export const ids = { job: JOB_ID, execution: EXECUTION_ID };

export const notificationExample: z.output<typeof NotificationPayload> = NotificationPayload.parse({
  id: `${deadExecutionExample.executionId}#dead`,
  event: 'dead',
  occurredAt: '2026-03-10T06:30:06.200Z',
  job: { id: JOB_ID, name: 'weekday-report' },
  execution: {
    id: deadExecutionExample.executionId,
    scheduledAt: deadExecutionExample.scheduledAt,
    trigger: 'schedule',
    startedAt: deadExecutionExample.startedAt,
    finishedAt: deadExecutionExample.finishedAt,
    lateByMs: deadExecutionExample.lateByMs,
  },
  status: 'dead',
  attempts: 3,
  error: 'HTTP 503',
  links: {
    execution: `https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/executions/${encodeURIComponent(deadExecutionExample.executionId)}`,
    job: `https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/jobs/${JOB_ID}`,
  },
});
