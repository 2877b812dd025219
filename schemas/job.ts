import { z } from 'zod';
import { IsoInstant, JobId } from './common.js';
import { AWS_TARGETS } from './targets.js';

export const TARGET_BODY_LIMIT_BYTES = 64 * 1024;
/**
 * 14 minutes: the executor (a Lambda function, 15 minutes at most) needs the last minute to claim
 * and record the run. Longer work belongs to async targets (heartbeat/complete).
 */
export const MAX_TIMEOUT_SECONDS = 840;

const window = {
  startAt: IsoInstant.optional(),
  endAt: IsoInstant.optional(),
};

/** EventBridge Scheduler's one-time form; core/eventbridge-expressions.ts reads the date-time in it. */
const AtExpression = z
  .string()
  .regex(/^at\(.*\)$/)
  .max(32)
  .describe('`at(yyyy-mm-ddThh:mm:ss)`: a local date-time, read in the schedule’s `timezone`');
export const OnceSchedule = z.strictObject({
  type: z.literal('once'),
  at: z.union([IsoInstant, AtExpression], {
    error: 'must be an ISO-8601 timestamp or at(yyyy-mm-ddThh:mm:ss)',
  }),
  timezone: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(
      'The IANA time zone an `at(...)` expression is read in (default UTC); an ISO `at` carries its own offset.',
    ),
});
export const ImmediateSchedule = z.strictObject({ type: z.literal('immediate') });
export const CronSchedule = z.strictObject({
  type: z.literal('cron'),
  expression: z
    .string()
    .min(1)
    .max(256)
    .describe(
      'Classic `m h dom mon dow` (optionally with a leading seconds field), or EventBridge Scheduler’s `cron(m h dom mon dow year)`',
    ),
  timezone: z.string().min(1).max(64).default('UTC'),
  ...window,
});
export const RateSchedule = z
  .strictObject({
    type: z.literal('rate'),
    everySeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .max(366 * 24 * 3600)
      .optional()
      .describe('The interval in seconds; give this or `expression`'),
    expression: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'EventBridge Scheduler’s form, `rate(5 minutes)` (minute/minutes, hour/hours, day/days), in place of `everySeconds`',
      ),
    ...window,
  })
  .refine((s) => (s.everySeconds === undefined) !== (s.expression === undefined), {
    message: 'give exactly one of everySeconds or expression',
  });

/** No time-based runs: the job runs only when its `dependsOn` upstreams finish (or on a manual trigger). */
export const DependencySchedule = z
  .strictObject({ type: z.literal('dependency') })
  .describe(
    'Runs only when the `dependsOn` upstreams say so (or on a manual trigger); needs a non-empty `dependsOn`. The job stays `active` with `nextRunAt: null`.',
  );

export const Schedule = z
  .discriminatedUnion('type', [
    OnceSchedule,
    ImmediateSchedule,
    CronSchedule,
    RateSchedule,
    DependencySchedule,
  ])
  .meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof Schedule>;

const HeaderName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'must be a valid HTTP header name');
const HeaderValue = z
  .string()
  .max(4096)
  .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must not contain control characters');

/**
 * Headers the HTTP client sets itself (framing: content-length, transfer-encoding; the host) or that
 * govern one connection hop rather than the request (RFC 9110 §7.6.1). Set by a job they would let
 * a body be read as a second request on the target's connection (request smuggling).
 */
export const CONNECTION_LEVEL_HEADERS: readonly string[] = [
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'host',
];

export function isConnectionLevelHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CONNECTION_LEVEL_HEADERS.includes(lower) || lower.startsWith('proxy-');
}

/**
 * Refuses connection-level target headers in a request body (create, PATCH). A check on the bodies
 * rather than on HttpTarget, so a job stored before the rule still reads (the HTTP client drops
 * such headers at call time anyway).
 */
function refuseConnectionLevelHeaders(body: { target?: object | undefined }, ctx: z.RefinementCtx): void {
  const headers = body.target && 'headers' in body.target ? (body.target.headers as object) : {};
  for (const name of Object.keys(headers ?? {})) {
    if (!isConnectionLevelHeader(name)) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['target', 'headers', name],
      message: `${name.toLowerCase()} is a framing or hop-by-hop header that the scheduler sets itself; a job cannot set it`,
    });
  }
}

export const HttpTarget = z
  .strictObject({
    type: z.literal('http').default('http'),
    url: z.url({ protocol: /^https?$/, message: 'must be an http or https URL' }).max(2048),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    headers: z
      .record(HeaderName, HeaderValue)
      .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers')
      .default({})
      .describe(
        'Sent with every call. Framing and hop-by-hop headers (`content-length`, `transfer-encoding`, `connection`, `keep-alive`, `upgrade`, `te`, `trailer`, `proxy-*`, `host`) are refused (400).',
      ),
    body: z
      .string()
      .refine((b) => Buffer.byteLength(b, 'utf8') <= TARGET_BODY_LIMIT_BYTES, 'must be at most 64 KiB')
      .optional(),
  })
  .meta({ id: 'HttpTarget' });
export type HttpTarget = z.infer<typeof HttpTarget>;

/** `http` (the default when `type` is left out) or an AWS-native target (schemas/targets.ts). */
export const Target = z
  .discriminatedUnion('type', [HttpTarget, ...AWS_TARGETS], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'must be one of http, lambda, sqs, eventbridge, stepfunctions, sns'
        : undefined,
  })
  .meta({ id: 'Target' });
export type Target = z.infer<typeof Target>;

export const RetryPolicy = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(20).default(3),
    backoff: z.enum(['exponential', 'fixed']).default('exponential'),
    initialDelaySeconds: z.number().min(0).max(3600).default(1),
    maxDelaySeconds: z.number().min(0).max(86_400).default(300),
    jitter: z.enum(['full', 'none']).default('full'),
    /** Retry 4xx answers other than 408/429 too (they are final by default). */
    retryOn4xx: z.boolean().default(false),
  })
  .refine((r) => r.maxDelaySeconds >= r.initialDelaySeconds, {
    message: 'maxDelaySeconds must be at least initialDelaySeconds',
    path: ['maxDelaySeconds'],
  })
  .describe(
    'Attempts within one execution: a failed call (network error, timeout, 408, 429, 5xx; other 4xx only with `retryOn4xx`) is tried again after `initialDelaySeconds`, doubling (`exponential`) up to `maxDelaySeconds`, which must be at least `initialDelaySeconds`.',
  );
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const Concurrency = z.strictObject({
  max: z.number().int().min(1).max(1000),
  overlap: z.enum(['skip', 'queue', 'allow']).default('skip'),
});

export const NotificationEvent = z.enum(['succeeded', 'failed', 'dead', 'missed', 'late', 'cancelled']);
export const Notification = z
  .strictObject({
    on: z.array(NotificationEvent).min(1),
    webhook: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    email: z.email().max(254).optional(),
    /** `late` fires when a run starts more than this many seconds after its due time. */
    lateAfterSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(60)
      .describe(
        '`late` fires when a run’s first attempt starts more than this many seconds after it was due.',
      ),
  })
  .refine(
    (n) => (n.webhook === undefined) !== (n.email === undefined),
    'give exactly one of webhook or email',
  )
  .describe('A receiver: exactly one of `webhook` or `email`, and the events it wants.');

export const Priority = z.enum(['high', 'normal', 'low']);
export type Priority = z.infer<typeof Priority>;
export const MisfirePolicy = z.enum(['skip', 'run_once', 'catch_up']);
export type MisfirePolicy = z.infer<typeof MisfirePolicy>;

/**
 * Control characters (Cc), invisible format characters (Cf: bidi overrides and isolates, zero-width
 * characters, the soft hyphen, the BOM) and line/paragraph separators: a name with them reads as
 * something else in a table (`\u202eevil` shows as "live").
 */
const INVISIBLE_IN_NAMES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export const JobName = z
  .string()
  .min(1)
  .max(128)
  .refine(
    (name) => !INVISIBLE_IN_NAMES.test(name),
    'must not contain control characters or invisible format characters (bidi controls, zero-width characters)',
  )
  .describe('1–128 characters, without control or invisible format characters (bidi controls, zero-width).');

/** The fields a client may set; defaults applied here are part of the contract. */
const definitionShape = {
  name: JobName.optional(),
  schedule: Schedule,
  target: Target,
  timeoutSeconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).default(30),
  retry: RetryPolicy.default({
    maxAttempts: 3,
    backoff: 'exponential',
    initialDelaySeconds: 1,
    maxDelaySeconds: 300,
    jitter: 'full',
    retryOn4xx: false,
  }),
  priority: Priority.default('normal'),
  concurrency: Concurrency.optional(),
  misfire: MisfirePolicy.default('run_once'),
  misfireGraceSeconds: z.number().int().min(0).max(3600).default(60),
  jitterSeconds: z.number().int().min(0).max(60).default(0),
  dependsOn: z
    .array(JobId)
    .max(20)
    .default([])
    .describe(
      'Jobs of the same tenant this one runs after: once each has finished a run since the last run it caused (`trigger: "dependency"`). A cycle, a missing job or another tenant’s job is a 400.',
    ),
  onDependencyFailure: z
    .enum(['skip', 'run'])
    .default('skip')
    .describe(
      'What a failed, timed-out or dead upstream run does: `skip` records a `skipped` run naming it (and passes the failure down), `run` runs anyway.',
    ),
  notifications: z
    .array(Notification)
    .max(10)
    .default([])
    .describe(
      'Receivers (a `webhook` or an `email`) and the events each wants; webhooks get the signed `Notification` payload (see `webhooks`).',
    ),
};

export const CreateJobBody = z
  .strictObject(definitionShape)
  .superRefine(refuseConnectionLevelHeaders)
  .meta({ id: 'CreateJobBody' });
export type CreateJobBody = z.input<typeof CreateJobBody>;
export type JobDefinition = z.output<typeof CreateJobBody>;

/**
 * PATCH /v1/jobs/{id}: every field is optional and a field given replaces the stored one as a whole
 * (validated, with its inner defaults, exactly as on create; absent fields are left alone, so no
 * top-level default applies). `null` clears an optional field (`name`, `concurrency`).
 */
export const PatchJobBody = z
  .strictObject({
    name: JobName.nullable().optional(),
    schedule: Schedule.optional(),
    target: Target.optional(),
    timeoutSeconds: definitionShape.timeoutSeconds.unwrap().optional(),
    retry: RetryPolicy.optional(),
    priority: Priority.optional(),
    concurrency: Concurrency.nullable().optional(),
    misfire: MisfirePolicy.optional(),
    misfireGraceSeconds: definitionShape.misfireGraceSeconds.unwrap().optional(),
    jitterSeconds: definitionShape.jitterSeconds.unwrap().optional(),
    dependsOn: definitionShape.dependsOn.unwrap().optional(),
    onDependencyFailure: definitionShape.onDependencyFailure.unwrap().optional(),
    notifications: definitionShape.notifications.unwrap().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change')
  .superRefine(refuseConnectionLevelHeaders)
  .meta({ id: 'PatchJobBody', minProperties: 1 });
export type PatchJobBody = z.input<typeof PatchJobBody>;
export type JobPatch = z.output<typeof PatchJobBody>;

export const JobStatus = z.enum(['active', 'paused', 'completed', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

export const ExecutionStatus = z.enum([
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'dead',
  'skipped',
]);
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

export const LastRun = z.object({
  executionId: z.string(),
  status: ExecutionStatus,
  finishedAt: z.string().nullable(),
});

export const Job = z
  .object({
    id: JobId,
    ...definitionShape,
    name: JobName.nullable().describe('`null` when the job has no name.'),
    status: JobStatus,
    nextRunAt: z
      .string()
      .nullable()
      .describe('The next run the job waits for; `null` when none (paused, finished, or dependency-only).'),
    lastRun: LastRun.nullable().describe('The newest execution that finished, or `null`.'),
    version: z.number().int().describe('Grows with every change; the `ETag`, for `If-Match`.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    id: 'Job',
    description: 'A job as the API shows it: every default filled in, credentials as `***`.',
  });
export type Job = z.output<typeof Job>;
