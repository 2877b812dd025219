import { z } from 'zod';
import { Health, PreviewBody, PreviewResponse, TriggerResponse } from '../../schemas/api.js';
import { ErrorBody } from '../../schemas/common.js';
import { Execution } from '../../schemas/execution.js';
import { CreateJobBody, Job } from '../../schemas/job.js';

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
};
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
      PreviewBody,
      PreviewResponse,
      TriggerResponse,
      Health,
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
      },
    },
    security: [{ apiKey: [] }, { sigv4: [] }],
    paths: {
      '/v1/jobs': {
        post: {
          summary: 'Create a job',
          requestBody: { required: true, ...body('CreateJobBody') },
          responses: { '201': { description: 'Created', ...body('Job') }, ...errors },
        },
        get: {
          summary: 'List jobs',
          parameters: [
            ...pageParams,
            { name: 'status', in: 'query', schema: { type: 'string' } },
            { name: 'name', in: 'query', description: 'name prefix', schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'A page of jobs', ...listOf('Job') }, ...errors },
        },
      },
      '/v1/jobs/{id}': {
        parameters: [idParam('id')],
        get: {
          summary: 'Get a job',
          responses: { '200': { description: 'The job', ...body('Job') }, ...errors },
        },
        delete: {
          summary: 'Cancel a job',
          responses: { '200': { description: 'Cancelled', ...body('Job') }, ...errors },
        },
      },
      '/v1/jobs/{id}/trigger': {
        parameters: [idParam('id')],
        post: {
          summary: 'Run now',
          responses: { '202': { description: 'Queued', ...body('TriggerResponse') }, ...errors },
        },
      },
      '/v1/jobs/{id}/executions': {
        parameters: [idParam('id')],
        get: {
          summary: 'Execution history, newest first',
          parameters: [
            ...pageParams,
            { name: 'status', in: 'query', schema: { type: 'string' } },
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
          responses: { '200': { description: 'Cancelled', ...body('Execution') }, ...errors },
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
          responses: { '200': { description: 'OK', ...body('Health') } },
        },
      },
    },
  };
  return cached;
}
