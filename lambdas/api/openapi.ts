import { z } from 'zod';
import { CompleteBody, Health, PreviewBody, PreviewResponse, TriggerResponse } from '../../schemas/api.js';
import { ErrorBody } from '../../schemas/common.js';
import { Execution } from '../../schemas/execution.js';
import { CreateJobBody, ExecutionStatus, Job, JobStatus, PatchJobBody } from '../../schemas/job.js';
import { NotificationPayload } from '../../schemas/notification.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const body = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const listOf = (name: string) => ({
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['items', 'nextCursor'],
        properties: { items: { type: 'array', items: ref(name) }, nextCursor: { type: ['string', 'null'] } },
      },
    },
  },
});
const errors = {
  '400': { description: 'Invalid input', ...body('Error') },
  '401': { description: 'Missing or unknown credentials', ...body('Error') },
  '404': { description: 'Not found (or another tenant’s)', ...body('Error') },
  '429': {
    description: 'Tenant rate limit; wait `Retry-After` seconds',
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
    ...body('Error'),
  },
};
const conflict = { '409': { description: 'Conflict or wrong state', ...body('Error') } };
const tooLarge = { '413': { description: 'Body over 256 KiB (64 KiB per target body)', ...body('Error') } };
const jobHeaders = { ETag: { description: 'The job’s version, quoted', schema: { type: 'string' } } };
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  description: 'The same key with the same body within 24 h returns the first response; another body is 409',
  schema: { type: 'string', maxLength: 255 },
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  description: 'Only at this version (the job’s ETag, e.g. `"3"`; `*` = any); otherwise 412',
  schema: { type: 'string' },
};
const preconditionFailed = {
  '412': { description: '`If-Match` names another version', ...body('Error') },
};
const lifecycleAction = (summary: string) => ({
  summary,
  parameters: [idempotencyKey, ifMatch],
  responses: {
    '200': { description: 'The job (unchanged when it already was so)', headers: jobHeaders, ...body('Job') },
    ...errors,
    ...conflict,
    ...preconditionFailed,
  },
});
const enumOf = (schema: z.ZodType) => z.toJSONSchema(schema) as Record<string, unknown>;
const callbackSecurity = [{ callbackToken: [] }];
const idParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];

let cached: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 document, generated from the zod schemas (the single source of truth). */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const schemas = z.toJSONSchema(
    z.object({
      Job,
      Execution,
      CreateJobBody,
      PatchJobBody,
      PreviewBody,
      PreviewResponse,
      TriggerResponse,
      Health,
      CompleteBody,
      Notification: NotificationPayload,
      Error: ErrorBody,
    }),
    { io: 'input', unrepresentable: 'any', metadata: z.globalRegistry },
  ) as { $defs?: Record<string, unknown> };
  const components = JSON.parse(
    JSON.stringify(schemas.$defs ?? {}).replaceAll('"#/$defs/', '"#/components/schemas/'),
  ) as Record<string, unknown>;
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Scheduler API',
      version: '1.0.0',
      description: 'Serverless job scheduler: HTTP callbacks once, now, or on cron/rate schedules.',
    },
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Local runtime' },
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS SigV4 (IAM) or a JWT bearer token',
        },
        callbackToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Scheduler-Callback-Token',
          description: 'The execution’s callback token (or `Authorization: Bearer <token>`)',
        },
      },
    },
    security: [{ apiKey: [] }, { sigv4: [] }],
    paths: {
      '/v1/jobs': {
        post: {
          summary: 'Create a job',
          parameters: [idempotencyKey],
          requestBody: { required: true, ...body('CreateJobBody') },
          responses: {
            '201': {
              description: 'Created',
              headers: { ...jobHeaders, Location: { schema: { type: 'string' } } },
              ...body('Job'),
            },
            ...errors,
            ...conflict,
            ...tooLarge,
          },
        },
        get: {
          summary: 'List jobs',
          parameters: [
            ...pageParams,
            { name: 'status', in: 'query', schema: enumOf(JobStatus) },
            { name: 'name', in: 'query', description: 'name prefix', schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'A page of jobs', ...listOf('Job') }, ...errors },
        },
      },
      '/v1/jobs/{id}': {
        parameters: [idParam('id')],
        get: {
          summary: 'Get a job',
          responses: { '200': { description: 'The job', headers: jobHeaders, ...body('Job') }, ...errors },
        },
        delete: {
          summary: 'Cancel a job',
          responses: { '200': { description: 'Cancelled', ...body('Job') }, ...errors },
        },
        patch: {
          summary: 'Change a job: each field given replaces the stored one as a whole',
          parameters: [ifMatch],
          requestBody: { required: true, ...body('PatchJobBody') },
          responses: {
            '200': { description: 'The changed job', headers: jobHeaders, ...body('Job') },
            ...errors,
            ...conflict,
            ...preconditionFailed,
            ...tooLarge,
          },
        },
      },
      '/v1/jobs/{id}/pause': {
        parameters: [idParam('id')],
        post: lifecycleAction('Pause: no new runs until resumed'),
      },
      '/v1/jobs/{id}/resume': {
        parameters: [idParam('id')],
        post: lifecycleAction('Resume: runs missed while paused meet the misfire policy'),
      },
      '/v1/jobs/{id}/trigger': {
        parameters: [idParam('id')],
        post: {
          summary: 'Run now',
          parameters: [idempotencyKey],
          responses: {
            '202': { description: 'Queued', ...body('TriggerResponse') },
            ...errors,
            ...conflict,
          },
        },
      },
      '/v1/jobs/{id}/executions': {
        parameters: [idParam('id')],
        get: {
          summary: 'Execution history, newest first',
          parameters: [
            ...pageParams,
            { name: 'status', in: 'query', schema: enumOf(ExecutionStatus) },
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
          ],
          responses: { '200': { description: 'A page of executions', ...listOf('Execution') }, ...errors },
        },
      },
      '/v1/executions/{executionId}': {
        parameters: [idParam('executionId')],
        get: {
          summary: 'Get an execution',
          responses: { '200': { description: 'The execution', ...body('Execution') }, ...errors },
        },
      },
      '/v1/executions/{executionId}/cancel': {
        parameters: [idParam('executionId')],
        post: {
          summary: 'Cancel a queued or running execution',
          responses: { '200': { description: 'Cancelled', ...body('Execution') }, ...errors, ...conflict },
        },
      },
      '/v1/executions/{executionId}/heartbeat': {
        parameters: [idParam('executionId')],
        post: {
          summary: 'Keep a long-running (async) target’s lease alive',
          security: callbackSecurity,
          responses: {
            '200': {
              description: 'Lease extended by the job’s timeoutSeconds',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['leaseUntil'],
                    properties: { leaseUntil: { type: 'string', format: 'date-time' } },
                  },
                },
              },
            },
            '409': {
              description: 'The execution was cancelled: stop working',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['cancelled'],
                    properties: { cancelled: { const: true } },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/v1/executions/{executionId}/complete': {
        parameters: [idParam('executionId')],
        post: {
          summary: 'Report the outcome of a long-running (async) target',
          security: callbackSecurity,
          requestBody: { required: true, ...body('CompleteBody') },
          responses: {
            '200': {
              description: 'Recorded',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['status'],
                    properties: { status: { type: 'string' } },
                  },
                },
              },
            },
            ...errors,
            ...conflict,
          },
        },
      },
      '/v1/dead-letters': {
        get: {
          summary: 'Executions that exhausted their retries, newest first',
          parameters: pageParams,
          responses: {
            '200': { description: 'A page of dead executions', ...listOf('Execution') },
            ...errors,
          },
        },
      },
      '/v1/dead-letters/{executionId}/replay': {
        parameters: [idParam('executionId')],
        post: {
          summary: 'Run a dead execution again as a new attempt series',
          parameters: [idempotencyKey],
          responses: { '202': { description: 'Queued again', ...body('Execution') }, ...errors, ...conflict },
        },
      },
      '/v1/schedules/preview': {
        post: {
          summary: 'Next runs of a schedule',
          requestBody: { required: true, ...body('PreviewBody') },
          responses: { '200': { description: 'Runs', ...body('PreviewResponse') }, ...errors },
        },
      },
      '/healthz': {
        get: {
          summary: 'Health',
          security: [],
          responses: {
            '200': { description: 'OK', ...body('Health') },
            '503': { description: 'A store or queue does not answer', ...body('Error') },
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
        },
      },
    },
    webhooks: {
      notification: {
        post: {
          summary: 'A job notification (`notifications[].webhook`)',
          description:
            'POSTed to each subscribed webhook for the events it names. Signed like target calls: ' +
            '`X-Scheduler-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the tenant’s secret. ' +
            'Also sent: `X-Scheduler-Event`, `X-Scheduler-Notification-Id` (= `Idempotency-Key` = `id`, ' +
            'the same on every redelivery), `X-Scheduler-Delivery-Attempt`. A non-2xx answer is retried ' +
            'with backoff; after the last try the notification goes to the notifications dead-letter queue.',
          security: [],
          requestBody: { required: true, ...body('Notification') },
          responses: { '200': { description: 'Any 2xx acknowledges the delivery' } },
        },
      },
    },
  };
  return cached;
}
