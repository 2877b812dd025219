import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import {
  createDocument,
  type oas31,
  type ZodOpenApiOperationObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import {
  CancelledResponse,
  CompleteBody,
  CompleteResponse,
  ExecutionPage,
  Health,
  HeartbeatResponse,
  JobPage,
  ListDeadLettersQuery,
  ListExecutionsQuery,
  ListJobsQuery,
  PreviewBody,
  PreviewResponse,
  TriggerResponse,
} from '../../schemas/api.js';
import { ErrorBody } from '../../schemas/common.js';
import { Execution } from '../../schemas/execution.js';
import { CreateJobBody, Job, PatchJobBody } from '../../schemas/job.js';
import { NotificationPayload } from '../../schemas/notification.js';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../core/idempotency.js';
import { header } from './http.js';
import {
  completeExamples,
  createJobExamples,
  deadExecutionExample,
  executionExample,
  ids,
  jobExample,
  notificationExample,
  patchJobExamples,
  previewExamples,
  previewResponseExample,
} from './openapi-examples.js';
import { inlineRequestSchemas, mapDiscriminators } from './openapi-inline.js';

export type OpenApiDocument = oas31.OpenAPIObject;

/** Where the contract is fetched from; open in both runtimes (no key, no signature). */
export const OPENAPI_PATH = '/v1/openapi.json';

const LOCAL_SERVER = {
  url: 'http://127.0.0.1:3000',
  description: 'The local runtime (`npm start`; `PORT` moves it)',
};
const AWS_SERVER = {
  url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
  description: 'A deployment in AWS: the stack output `ApiUrl`',
  variables: {
    apiId: { default: 'abc123defg', description: 'The HTTP API id (the first label of `ApiUrl`)' },
    region: { default: 'us-east-1', description: 'The region the stack is deployed to' },
  },
};

// Who may call what. Client operations take any one of the three; callbacks carry the execution's
// own token; health and this document need nothing.
const CLIENT_AUTH: oas31.SecurityRequirementObject[] = [{ apiKey: [] }, { sigv4: [] }, { jwt: [] }];
const CALLBACK_AUTH: oas31.SecurityRequirementObject[] = [{ callbackToken: [] }, { callbackBearer: [] }];
const NO_AUTH: oas31.SecurityRequirementObject[] = [];

const json = (schema: z.ZodType, examples?: Record<string, { summary: string; value: unknown }>) => ({
  content: { 'application/json': { schema, ...(examples ? { examples } : {}) } },
});
const one = (summary: string, value: unknown) => ({ example: { summary, value } });
const apiError = (code: string, message: string, details?: { path: string; message: string }[]) => ({
  error: { code, message, ...(details ? { details } : {}) },
});

/** API Gateway's own refusals in AWS (authorizer, stage throttling): not the scheduler's error shape. */
const GatewayError = z.object({ message: z.string() }).meta({
  id: 'GatewayError',
  description: 'API Gateway’s own answer (AWS), before the scheduler sees the request',
});
const ErrorOrGatewayError = z.union([ErrorBody, GatewayError]);

const retryAfter = z.object({
  'Retry-After': z.string().optional().meta({
    description: 'Seconds to wait before trying again (the scheduler sends it; the stage throttle does not)',
    example: '1',
  }),
});
const etag = z.object({
  ETag: z
    .string()
    .meta({ description: 'The job’s `version`, quoted: send it back in `If-Match`', example: '"3"' }),
});

const badRequest: ZodOpenApiResponseObject = {
  id: 'BadRequest',
  description:
    'Invalid input: a body field (each named in `details[].path`), the JSON itself, a query parameter, a header or the path. Nothing was changed.',
  ...json(ErrorBody, {
    field: {
      summary: 'A field the schema refuses',
      value: apiError(
        'validation_error',
        'invalid job: timeoutSeconds Too big: expected number to be <=900',
        [{ path: 'timeoutSeconds', message: 'Too big: expected number to be <=900' }],
      ),
    },
    schedule: {
      summary: 'A schedule that cannot run',
      value: apiError('invalid_schedule', 'invalid cron expression "61 * * * *": minute must be 0-59'),
    },
    cursor: {
      summary: 'A cursor this list did not make',
      value: apiError('invalid_cursor', 'cursor is not valid for this list; start again without one', [
        { path: 'cursor', message: 'invalid cursor' },
      ]),
    },
    target: {
      summary: 'A target the SSRF rules refuse',
      value: apiError('target_not_allowed', 'target address 10.0.0.5 is private'),
    },
  }),
};
const unauthorized: ZodOpenApiResponseObject = {
  id: 'Unauthorized',
  description:
    'No credentials, or ones this deployment does not accept: a missing or unknown `x-api-key` locally; in AWS a JWT the authorizer refuses (`{"message":"Unauthorized"}` from API Gateway).',
  ...json(ErrorOrGatewayError, {
    apiKey: {
      summary: 'Locally, without a key',
      value: apiError('unauthorized', 'x-api-key header is required'),
    },
    jwt: { summary: 'In AWS, a refused JWT', value: { message: 'Unauthorized' } },
  }),
};
const forbidden: ZodOpenApiResponseObject = {
  id: 'Forbidden',
  description:
    'AWS with IAM (the default): no SigV4 signature, a bad one, or a caller without `execute-api:Invoke` on the API.',
  ...json(GatewayError, one('Refused by the IAM authorizer', { message: 'Forbidden' })),
};
const notFound: ZodOpenApiResponseObject = {
  id: 'NotFound',
  description: 'No such job or execution for this tenant (another tenant’s id answers the same).',
  ...json(ErrorBody, one('An unknown job', apiError('not_found', `job ${ids.job} not found`))),
};
const conflict: ZodOpenApiResponseObject = {
  id: 'Conflict',
  description:
    'The resource is in a state that forbids this (`conflict`), the tenant holds as many jobs as it may (`job_limit_reached`), or an `Idempotency-Key` was used with another body (`idempotency_conflict`) or is still being processed (`idempotency_in_progress`, with `Retry-After`).',
  ...json(ErrorBody, {
    state: { summary: 'A finished job', value: apiError('conflict', `job ${ids.job} is already cancelled`) },
    idempotency: {
      summary: 'A reused Idempotency-Key',
      value: apiError(
        'idempotency_conflict',
        'this Idempotency-Key was used with a different request body in the last 24 hours; use a new key',
      ),
    },
  }),
};
const preconditionFailed: ZodOpenApiResponseObject = {
  id: 'PreconditionFailed',
  description: '`If-Match` names a version that is not the job’s current one: read it again and retry.',
  ...json(
    ErrorBody,
    one('A stale version', apiError('precondition_failed', `job ${ids.job} is at version 4, not 3`)),
  ),
};
const payloadTooLarge: ZodOpenApiResponseObject = {
  id: 'PayloadTooLarge',
  description: 'The request body is over 256 KiB, or `target.body` over 64 KiB.',
  ...json(ErrorBody, one('A large target body', apiError('payload_too_large', 'target.body exceeds 64 KiB'))),
};
const unsupportedMediaType: ZodOpenApiResponseObject = {
  id: 'UnsupportedMediaType',
  description: 'A body sent with a `Content-Type` other than JSON.',
  ...json(
    ErrorBody,
    one(
      'A form post',
      apiError('unsupported_media_type', 'send the body as JSON with Content-Type: application/json'),
    ),
  ),
};
const tooManyRequests: ZodOpenApiResponseObject = {
  id: 'TooManyRequests',
  description:
    'The tenant’s request rate is used up (`rate_limited`, with `Retry-After`), or in AWS the stage throttle answered (`{"message":"Too Many Requests"}`). Retry later.',
  headers: retryAfter,
  ...json(ErrorOrGatewayError, {
    tenant: {
      summary: 'The tenant’s rate',
      value: apiError('rate_limited', 'too many requests for this tenant; retry after 1 s'),
    },
    stage: { summary: 'API Gateway’s stage throttle (AWS)', value: { message: 'Too Many Requests' } },
  }),
};
const gatewayThrottled: ZodOpenApiResponseObject = {
  id: 'GatewayThrottled',
  description: 'AWS only: the API stage’s throttle answered before the scheduler. Retry later.',
  ...json(GatewayError, one('Stage throttle', { message: 'Too Many Requests' })),
};
const callbackUnauthorized: ZodOpenApiResponseObject = {
  id: 'CallbackUnauthorized',
  description: 'No callback token, or not this execution’s.',
  ...json(ErrorBody, one('A wrong token', apiError('unauthorized', 'invalid callback token'))),
};
const callbackConflict: ZodOpenApiResponseObject = {
  id: 'CallbackConflict',
  description:
    'The execution was cancelled (`{"cancelled":true}`: stop working), or it is in no state to take this callback (the error shape).',
  ...json(z.union([CancelledResponse, ErrorBody]), {
    cancelled: { summary: 'Cancelled: stop working', value: { cancelled: true } },
    state: {
      summary: 'Already finished',
      value: apiError('conflict', `execution ${ids.execution} is succeeded; it takes no heartbeat`),
    },
  }),
};

const misdirected: ZodOpenApiResponseObject = {
  id: 'MisdirectedRequest',
  description:
    'Local runtime only: the `Host` header names neither a loopback name or address nor a host in `SCHEDULER_ALLOWED_HOSTS` (a guard against DNS rebinding).',
  ...json(
    ErrorBody,
    one(
      'A foreign Host',
      apiError(
        'host_not_allowed',
        'this local scheduler answers only requests for a loopback name or address (or a host listed in SCHEDULER_ALLOWED_HOSTS)',
      ),
    ),
  ),
};

/** The refusals every client operation can meet; operations add what else they can answer. */
const clientErrors = {
  '400': badRequest,
  '401': unauthorized,
  '403': forbidden,
  '421': misdirected,
  '429': tooManyRequests,
};
const resourceErrors = { ...clientErrors, '404': notFound };
const bodyErrors = { '413': payloadTooLarge, '415': unsupportedMediaType };

const idempotencyKey = z
  .string()
  .min(1)
  .max(MAX_IDEMPOTENCY_KEY_LENGTH)
  .regex(/^[\x20-\x7e]+$/)
  .optional()
  .meta({
    description:
      'Makes a retry safe: the same key with the same body within 24 h answers the first response again (with `Idempotent-Replayed: true`); with another body, `409 idempotency_conflict`.',
    example: '5f0c2a2e-7d1b-4b1e-9c55-0c7c1d6c9a10',
  });
const ifMatch = z.string().optional().meta({
  description:
    'Only if the job is still at this version: its `ETag` (`"3"`; `W/"3"`, a bare `3` and lists work too), or `*`. Otherwise `412`.',
  example: '"3"',
});
const jobIdParam = z.object({
  id: z.string().meta({ description: 'The job’s `id`', example: ids.job }),
});
const executionIdParam = z.object({
  executionId: z.string().meta({
    description: 'The execution’s `executionId` (`<jobId>:<scheduled instant>`)',
    example: ids.execution,
  }),
});
const idempotent = z.object({ 'Idempotency-Key': idempotencyKey });

const jobResponse = (description: string): ZodOpenApiResponseObject => ({
  description,
  headers: etag,
  ...json(Job, one('The weekday report', jobExample)),
});

function lifecycle(operationId: string, summary: string, description: string): ZodOpenApiOperationObject {
  return {
    operationId,
    tags: ['Jobs'],
    summary,
    description,
    requestParams: {
      path: jobIdParam,
      header: z.object({ 'Idempotency-Key': idempotencyKey, 'If-Match': ifMatch }),
    },
    responses: {
      '200': jobResponse('The job (unchanged when it already was so)'),
      ...resourceErrors,
      '409': conflict,
      '412': preconditionFailed,
    },
  };
}

/** The document's tags, in the order a reader meets them, each with its description. */
const TAGS: Record<string, string> = {
  Jobs: 'What runs, when, and what it calls',
  Executions: 'The runs of a job, each with its attempts',
  'Dead letters': 'Executions that exhausted their retries, and their replay',
  Schedules: 'Schedule arithmetic without creating a job',
  Callbacks: 'Called by long-running (async) targets, with the execution’s callback token',
  Service: 'Health and this document',
  Notifications: 'What a job’s `notifications[].webhook` receives (under `webhooks`)',
};

const OpenApiDocumentSchema = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document' });

const DESCRIPTION = `Run HTTP callbacks once, now, or on cron and rate schedules in any IANA timezone, with retries, timeouts, priorities, dependencies, notifications and a year of history.

**Authentication.** Locally (\`npm start\`) every client call carries \`x-api-key\`; keys map to tenants. In AWS the HTTP API authorizes with IAM (SigV4, service \`execute-api\`) or, when deployed with a JWT issuer, a bearer JWT; the tenant is the caller's identity. A tenant sees only its own jobs and executions: another tenant's id is \`404\`. Execution callbacks (\`heartbeat\`, \`complete\`) authenticate with the execution's own token; \`/healthz\` and this document need nothing.

**Errors** are \`{"error":{"code","message","details"?}}\` with a 4xx for anything a client sent (field paths in \`details\`); a 5xx only when a dependency is down. In AWS, API Gateway answers its own refusals (authorizer, throttling) as \`{"message":…}\`.

**Lists** are cursor-paginated: \`limit\` (1–100, default 50) and the previous page's \`nextCursor\` as \`cursor\`, until \`nextCursor\` is \`null\`.

**Retries.** POSTs take an \`Idempotency-Key\`; job responses carry \`ETag\` (the job's \`version\`), which \`If-Match\` on PATCH, DELETE, pause and resume turns into an optimistic lock. Honour \`Retry-After\` on \`429\`.

Notifications a job subscribes to are described under \`webhooks\`.`;

function buildDocument(): OpenApiDocument {
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Scheduler API',
        version: '1.0.0',
        description: DESCRIPTION,
        // package.json says UNLICENSED: no licence is granted. docs/decisions/openapi.md says why.
        license: {
          name: 'Proprietary (UNLICENSED): all rights reserved',
          identifier: 'LicenseRef-Proprietary',
        },
        contact: { name: 'Scheduler maintainers' },
      },
      servers: [LOCAL_SERVER, AWS_SERVER],
      security: CLIENT_AUTH,
      tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
      paths: {
        '/v1/jobs': {
          post: {
            operationId: 'createJob',
            tags: ['Jobs'],
            summary: 'Create a job',
            description:
              'Validates the body, computes the first run and stores the job. A run due within the watcher’s look-ahead (or `immediate`) is queued at once. Fields left out take the defaults shown.',
            requestParams: { header: idempotent },
            requestBody: { id: 'CreateJobBody', required: true, ...json(CreateJobBody, createJobExamples) },
            responses: {
              '201': {
                description: 'Created',
                headers: etag.extend({
                  Location: z
                    .string()
                    .meta({ description: 'The job’s URL path', example: `/v1/jobs/${ids.job}` }),
                }),
                ...json(Job, one('The weekday report', jobExample)),
              },
              ...clientErrors,
              '409': conflict,
              ...bodyErrors,
            },
          },
          get: {
            operationId: 'listJobs',
            tags: ['Jobs'],
            summary: 'List jobs',
            description: 'The tenant’s jobs, newest first, optionally filtered by status and name prefix.',
            requestParams: { query: ListJobsQuery },
            responses: {
              '200': {
                description: 'A page of jobs',
                ...json(JobPage, one('One page', { items: [jobExample], nextCursor: null })),
              },
              ...clientErrors,
            },
          },
        },
        '/v1/jobs/{id}': {
          get: {
            operationId: 'getJob',
            tags: ['Jobs'],
            summary: 'Get a job',
            requestParams: { path: jobIdParam },
            responses: { '200': jobResponse('The job'), ...resourceErrors },
          },
          patch: {
            operationId: 'updateJob',
            tags: ['Jobs'],
            summary: 'Change a job',
            description:
              'Each field given replaces the stored one as a whole, validated (with its inner defaults) as on create; fields left out stay as they are; `null` clears `name` or `concurrency`. A new schedule recomputes `nextRunAt`, and runs queued under the old plan do not fire.',
            requestParams: { path: jobIdParam, header: z.object({ 'If-Match': ifMatch }) },
            requestBody: { id: 'PatchJobBody', required: true, ...json(PatchJobBody, patchJobExamples) },
            responses: {
              '200': jobResponse('The changed job'),
              ...resourceErrors,
              '409': conflict,
              '412': preconditionFailed,
              ...bodyErrors,
            },
          },
          delete: {
            operationId: 'cancelJob',
            tags: ['Jobs'],
            summary: 'Cancel a job',
            description:
              'No further runs: queued runs are dropped and a call in flight is aborted. Cancelling a cancelled job answers `200` again.',
            requestParams: { path: jobIdParam, header: z.object({ 'If-Match': ifMatch }) },
            responses: {
              '200': jobResponse('The job, now `cancelled`'),
              ...resourceErrors,
              '409': conflict,
              '412': preconditionFailed,
            },
          },
        },
        '/v1/jobs/{id}/pause': {
          post: lifecycle(
            'pauseJob',
            'Pause a job',
            'No new runs until it is resumed; the job and its history stay.',
          ),
        },
        '/v1/jobs/{id}/resume': {
          post: lifecycle(
            'resumeJob',
            'Resume a job',
            'Runs again from now; runs missed while paused meet the job’s misfire policy at once.',
          ),
        },
        '/v1/jobs/{id}/trigger': {
          post: {
            operationId: 'triggerJob',
            tags: ['Jobs'],
            summary: 'Run a job now',
            description:
              'One run outside the schedule (`trigger: "manual"`, `scheduledAt` = the instant of the request). Takes no body (or `{}`).',
            requestParams: { path: jobIdParam, header: idempotent },
            responses: {
              '202': {
                description: 'Queued: the target is called within moments',
                headers: z.object({
                  Location: z.string().meta({
                    description: 'The execution’s URL path',
                    example: `/v1/executions/${encodeURIComponent(ids.execution)}`,
                  }),
                }),
                ...json(TriggerResponse, one('The new execution', { executionId: ids.execution })),
              },
              ...resourceErrors,
              '409': conflict,
              '415': unsupportedMediaType,
            },
          },
        },
        '/v1/jobs/{id}/executions': {
          get: {
            operationId: 'listJobExecutions',
            tags: ['Executions'],
            summary: 'List a job’s executions',
            description:
              'Newest first, over a year: executions older than the hot window are read from the archive, behind one cursor.',
            requestParams: { path: jobIdParam, query: ListExecutionsQuery },
            responses: {
              '200': {
                description: 'A page of executions',
                ...json(ExecutionPage, one('One page', { items: [executionExample], nextCursor: null })),
              },
              ...resourceErrors,
            },
          },
        },
        '/v1/executions/{executionId}': {
          get: {
            operationId: 'getExecution',
            tags: ['Executions'],
            summary: 'Get an execution',
            description: 'With every attempt; archived executions too.',
            requestParams: { path: executionIdParam },
            responses: {
              '200': {
                description: 'The execution',
                ...json(Execution, one('A run that succeeded', executionExample)),
              },
              ...resourceErrors,
            },
          },
        },
        '/v1/executions/{executionId}/cancel': {
          post: {
            operationId: 'cancelExecution',
            tags: ['Executions'],
            summary: 'Cancel an execution',
            description: 'A queued execution does not run; a running HTTP call is aborted.',
            requestParams: { path: executionIdParam, header: idempotent },
            responses: {
              '200': {
                description: 'The execution, `cancelled`',
                ...json(
                  Execution,
                  one('Cancelled', { ...executionExample, status: 'cancelled', attempts: [] }),
                ),
              },
              ...resourceErrors,
              '409': conflict,
            },
          },
        },
        '/v1/executions/{executionId}/heartbeat': {
          post: {
            operationId: 'heartbeat',
            tags: ['Callbacks'],
            summary: 'Keep an async execution alive',
            description:
              'A target that answered `202 {"async":true}` calls this while it works: each call extends the lease by the job’s `timeoutSeconds`.',
            security: CALLBACK_AUTH,
            requestParams: { path: executionIdParam },
            responses: {
              '200': {
                description: 'Lease extended',
                ...json(HeartbeatResponse, one('Extended', { leaseUntil: '2026-03-09T06:31:00.053Z' })),
              },
              '400': badRequest,
              '401': callbackUnauthorized,
              '404': notFound,
              '409': callbackConflict,
              '421': misdirected,
              '429': gatewayThrottled,
            },
          },
        },
        '/v1/executions/{executionId}/complete': {
          post: {
            operationId: 'complete',
            tags: ['Callbacks'],
            summary: 'Finish an async execution',
            description:
              'Reports the outcome of an async target’s work; a failure follows the job’s retry policy.',
            security: CALLBACK_AUTH,
            requestParams: { path: executionIdParam },
            requestBody: { id: 'CompleteBody', required: true, ...json(CompleteBody, completeExamples) },
            responses: {
              '200': {
                description: 'Recorded',
                ...json(CompleteResponse, one('Recorded', { status: 'succeeded' })),
              },
              '400': badRequest,
              '401': callbackUnauthorized,
              '404': notFound,
              '409': callbackConflict,
              ...bodyErrors,
              '421': misdirected,
              '429': gatewayThrottled,
            },
          },
        },
        '/v1/dead-letters': {
          get: {
            operationId: 'listDeadLetters',
            tags: ['Dead letters'],
            summary: 'List dead letters',
            description: 'Executions of the tenant that exhausted their retries (`dead`), newest first.',
            requestParams: { query: ListDeadLettersQuery },
            responses: {
              '200': {
                description: 'A page of dead executions',
                ...json(ExecutionPage, one('One page', { items: [deadExecutionExample], nextCursor: null })),
              },
              ...clientErrors,
            },
          },
        },
        '/v1/dead-letters/{executionId}/replay': {
          post: {
            operationId: 'replayDeadLetter',
            tags: ['Dead letters'],
            summary: 'Replay a dead letter',
            description:
              'Runs the dead execution again, with the job’s current target, as a new series of attempts numbered on from the last.',
            requestParams: { path: executionIdParam, header: idempotent },
            responses: {
              '202': {
                description: 'Queued again',
                ...json(
                  Execution,
                  one('Queued again', {
                    ...deadExecutionExample,
                    trigger: 'replay',
                    status: 'queued',
                    finishedAt: null,
                  }),
                ),
              },
              ...resourceErrors,
              '409': conflict,
            },
          },
        },
        '/v1/schedules/preview': {
          post: {
            operationId: 'previewSchedule',
            tags: ['Schedules'],
            summary: 'Preview a schedule’s next runs',
            description:
              'The runs at or after `from` (default now), as a job with this schedule would have them; nothing is created.',
            requestParams: { header: idempotent },
            requestBody: { id: 'PreviewBody', required: true, ...json(PreviewBody, previewExamples) },
            responses: {
              '200': {
                description: 'The runs, as UTC instants',
                ...json(PreviewResponse, one('The DST night', previewResponseExample)),
              },
              ...clientErrors,
              ...bodyErrors,
            },
          },
        },
        '/healthz': {
          get: {
            operationId: 'health',
            tags: ['Service'],
            summary: 'Health',
            description:
              "Whether the stores and queues answer. The local runtime (`npm start`) adds `recovery`: after a restart it answers at once and puts the last session's queued messages back in the background; `state` is `running` until they are all on the queues again, then `done` with `finishedAt`.",
            security: NO_AUTH,
            responses: {
              '200': { description: 'Everything answers', ...json(Health, one('Healthy', { status: 'ok' })) },
              '421': misdirected,
              '429': gatewayThrottled,
              '503': {
                description: 'A store or queue does not answer',
                ...json(
                  ErrorBody,
                  one('A store is down', apiError('unavailable', 'a store or queue does not answer')),
                ),
              },
            },
          },
        },
        [OPENAPI_PATH]: {
          get: {
            operationId: 'openApi',
            tags: ['Service'],
            summary: 'This document',
            description: 'The server that answers is listed first in `servers`.',
            security: NO_AUTH,
            responses: {
              '200': {
                description: 'The OpenAPI 3.1 document',
                ...json(
                  OpenApiDocumentSchema,
                  one('Its first lines', {
                    openapi: '3.1.0',
                    info: { title: 'Scheduler API', version: '1.0.0' },
                    paths: {},
                  }),
                ),
              },
              '421': misdirected,
              '429': gatewayThrottled,
            },
          },
        },
      },
      webhooks: {
        notification: {
          post: {
            operationId: 'receiveNotification',
            tags: ['Notifications'],
            summary: 'A job notification',
            description:
              'POSTed to each `notifications[].webhook` for the events it names, signed like target calls: `X-Scheduler-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the tenant’s secret. Verify it on the raw body. Any 2xx acknowledges; anything else is retried with backoff (5 s, 10 s, 20 s, … up to 15 min) and after the last try the notification goes to the notifications dead-letter queue.',
            security: NO_AUTH,
            requestParams: {
              header: z.object({
                'X-Scheduler-Signature': z.string().meta({
                  description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`',
                  example: 't=1773124206,v1=5d2c…',
                }),
                'X-Scheduler-Event': NotificationPayload.shape.event,
                'X-Scheduler-Notification-Id': z
                  .string()
                  .meta({ description: 'The payload’s `id`: the same on every redelivery' }),
                'Idempotency-Key': z
                  .string()
                  .meta({ description: 'The same as `X-Scheduler-Notification-Id`' }),
                'X-Scheduler-Delivery-Attempt': z
                  .string()
                  .regex(/^[1-9][0-9]*$/)
                  .meta({ description: '1 on the first delivery', example: '1' }),
              }),
            },
            requestBody: {
              required: true,
              ...json(NotificationPayload, one('Retries exhausted', notificationExample)),
            },
            responses: {
              '200': { description: 'Acknowledged (any 2xx does)' },
              '4XX': {
                description: 'Not acknowledged: delivered again later, like any answer other than a 2xx',
              },
            },
          },
        },
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description:
              'The local runtime (`npm start`): `SCHEDULER_API_KEYS` maps keys to tenants (`dev-key` by default).',
          },
          sigv4: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              'AWS (the default): IAM, an AWS Signature Version 4 over the request, service `execute-api`. The tenant is the caller’s IAM identity.',
            'x-amazon-apigateway-authtype': 'awsSigv4',
          },
          jwt: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'AWS deployed with `-c jwtIssuer=… -c jwtAudience=…`: a bearer JWT; the tenant is its `SCHEDULER_TENANT_CLAIM` claim (`sub`).',
          },
          callbackToken: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Scheduler-Callback-Token',
            description: 'The execution’s callback token, sent to the async target with the call',
          },
          callbackBearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'The same callback token as `Authorization: Bearer <token>`',
          },
        },
      },
    },
    {
      // Response objects may grow new fields (API.md: fields are added freely), so a client must not
      // be told that an unknown one is invalid. Request bodies stay strict: the API refuses unknown keys.
      override: ({ jsonSchema, io }) => {
        if (io === 'output' && jsonSchema.additionalProperties === false)
          delete jsonSchema.additionalProperties;
        titleUnionMembers(jsonSchema);
      },
    },
  );
}

/**
 * Names each member of a union told apart by a constant `type` (schedules, targets) after that
 * constant, so that references and generated clients show `cron` rather than "object".
 */
function titleUnionMembers(schema: { oneOf?: unknown[]; anyOf?: unknown[] }): void {
  for (const member of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])] as UnionMember[]) {
    const type = member.properties?.type;
    if (!member.title && typeof type === 'object' && typeof type.const === 'string')
      member.title = type.const;
  }
}
type UnionMember = { title?: string; properties?: Record<string, boolean | { const?: unknown }> };

let cached: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document, generated from the zod schemas (the single source of truth). */
export function openApiDocument(): OpenApiDocument {
  cached ??= mapDiscriminators(inlineRequestSchemas(buildDocument()));
  return cached;
}

/** The document as served: the server that answered first in `servers`, so tools call it by default. */
export function openApiDocumentFor(origin: string | undefined): OpenApiDocument {
  const document = openApiDocument();
  if (!origin) return document;
  const others = (document.servers ?? []).filter((server) => server.url !== origin);
  return {
    ...document,
    servers: [{ url: origin, description: 'The server that served this document' }, ...others],
  };
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin a request reached: API Gateway's domain name (its own or a custom domain) with the
 * scheme it reports in `x-forwarded-proto`; the local server passes the `Host` header and plain http.
 * Undefined when either looks wrong, so the document then lists only its static servers.
 */
export function requestOrigin(event: APIGatewayProxyEventV2): string | undefined {
  const host = event.requestContext.domainName ?? header(event, 'host');
  const scheme = header(event, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() ?? 'http';
  if (!host || !HOST.test(host) || (scheme !== 'http' && scheme !== 'https')) return undefined;
  return `${scheme}://${host.toLowerCase()}`;
}
