import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  CompleteBody,
  type HealthRecovery,
  ListDeadLettersQuery,
  ListExecutionsQuery,
  ListJobsQuery,
  PreviewBody,
} from '../../schemas/api.js';
import { CreateJobBody, PatchJobBody } from '../../schemas/job.js';
import type { JobRecord } from '../../schemas/records.js';
import type { Logger } from '../core/ports/logger.js';
import { iso, ms } from '../core/time.js';
import type { CallbackService } from '../services/executor/callback-service.js';
import type { ExecutionService } from '../services/jobs/execution-service.js';
import type { JobService } from '../services/jobs/job-service.js';
import type { QueryService } from '../services/jobs/query-service.js';
import { executionView } from '../services/views.js';
import { errorResponse, header, json, parseWith, readJobBody, readJsonBody, readNoBody } from './http.js';
import { openApiDocumentFor, requestOrigin } from './openapi.js';
import { ifMatchOf } from './preconditions.js';
import { type Route, route } from './router.js';

/** The services the routes call. */
export interface ApiServices {
  jobs: JobService;
  queries: QueryService;
  executions: ExecutionService;
  /** Heartbeat and complete of long-running targets. */
  callbacks: Pick<CallbackService, 'heartbeat' | 'complete'>;
  /** Resolves when the stores and queues answer, with what the runtime adds to the answer (local: its recovery). */
  health(): Promise<{ recovery?: HealthRecovery }>;
  log: Logger;
}

function etag(version: number): Record<string, string> {
  return { etag: `"${version}"` };
}

/** The callback token: `X-Scheduler-Callback-Token`, or `Authorization: Bearer <token>`. */
function callbackToken(event: APIGatewayProxyEventV2): string | undefined {
  const direct = header(event, 'x-scheduler-callback-token');
  if (direct) return direct;
  const auth = header(event, 'authorization');
  return auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
}

/** /v1/jobs and its commands. */
export function jobRoutes({ jobs, queries }: ApiServices): Route[] {
  const jobResponse = async (status: number, job: JobRecord, extra: Record<string, string> = {}) =>
    json(status, await queries.view(job), { ...etag(job.version), ...extra });
  return [
    route('POST', '/v1/jobs', async ({ event, tenant }) => {
      const body = parseWith(CreateJobBody, readJobBody(event), 'job');
      const job = await jobs.createJob(tenant, body);
      return json(201, queries.newJobView(job), {
        ...etag(job.version),
        location: `/v1/jobs/${job.jobId}`,
      });
    }),
    route('GET', '/v1/jobs', async ({ event, tenant }) => {
      const query = parseWith(ListJobsQuery, event.queryStringParameters ?? {}, 'query');
      const page = await queries.listJobs(
        tenant,
        {
          ...(query.status ? { status: query.status } : {}),
          ...(query.name ? { namePrefix: query.name } : {}),
        },
        query.limit,
        query.cursor,
      );
      const items = await Promise.all(page.items.map((job) => queries.view(job)));
      return json(200, { items, nextCursor: page.nextCursor });
    }),
    route('GET', '/v1/jobs/{jobId}', async ({ params, tenant }) =>
      jobResponse(200, await queries.getJob(tenant, params.jobId!)),
    ),
    route('DELETE', '/v1/jobs/{jobId}', async ({ event, params, tenant }) =>
      jobResponse(200, await jobs.cancelJob(tenant, params.jobId!, ifMatchOf(event))),
    ),
    route('PATCH', '/v1/jobs/{jobId}', async ({ event, params, tenant }) => {
      const patch = parseWith(PatchJobBody, readJobBody(event), 'job change');
      return jobResponse(200, await jobs.patchJob(tenant, params.jobId!, patch, ifMatchOf(event)));
    }),
    route('POST', '/v1/jobs/{jobId}/pause', async ({ event, params, tenant }) =>
      jobResponse(200, await jobs.pauseJob(tenant, params.jobId!, ifMatchOf(event))),
    ),
    route('POST', '/v1/jobs/{jobId}/resume', async ({ event, params, tenant }) =>
      jobResponse(200, await jobs.resumeJob(tenant, params.jobId!, ifMatchOf(event))),
    ),
    route('POST', '/v1/jobs/{jobId}/trigger', async ({ event, params, tenant }) => {
      readNoBody(event);
      const execution = await jobs.triggerJob(tenant, params.jobId!);
      const location = `/v1/executions/${encodeURIComponent(execution.executionId)}`;
      return json(202, { executionId: execution.executionId }, { location });
    }),
  ];
}

/** A job's executions, one execution, dead letters, and the callbacks of async targets. */
export function executionRoutes({ queries, executions, callbacks }: ApiServices): Route[] {
  return [
    route('GET', '/v1/jobs/{jobId}/executions', async ({ event, params, tenant }) => {
      const query = parseWith(ListExecutionsQuery, event.queryStringParameters ?? {}, 'query');
      const page = await queries.listExecutions(
        tenant,
        params.jobId!,
        {
          ...(query.status ? { status: query.status } : {}),
          ...(query.from ? { from: iso(ms(query.from)) } : {}),
          ...(query.to ? { to: iso(ms(query.to)) } : {}),
        },
        query.limit,
        query.cursor,
      );
      return json(200, { items: page.items.map(executionView), nextCursor: page.nextCursor });
    }),
    route('GET', '/v1/executions/{executionId}', async ({ params, tenant }) =>
      json(200, executionView(await queries.getExecution(tenant, params.executionId!))),
    ),
    route('POST', '/v1/executions/{executionId}/cancel', async ({ params, tenant }) =>
      json(200, executionView(await executions.cancelExecution(tenant, params.executionId!))),
    ),
    route('GET', '/v1/dead-letters', async ({ event, tenant }) => {
      const query = parseWith(ListDeadLettersQuery, event.queryStringParameters ?? {}, 'query');
      const page = await queries.listDeadLetters(tenant, query.limit, query.cursor);
      return json(200, { items: page.items.map(executionView), nextCursor: page.nextCursor });
    }),
    route('POST', '/v1/dead-letters/{executionId}/replay', async ({ params, tenant }) =>
      json(202, executionView(await executions.replayDeadLetter(tenant, params.executionId!))),
    ),
    route(
      'POST',
      '/v1/executions/{executionId}/heartbeat',
      async ({ event, params }) => {
        const result = await callbacks.heartbeat(params.executionId!, callbackToken(event));
        return 'cancelled' in result ? json(409, { cancelled: true }) : json(200, result);
      },
      false,
    ),
    route(
      'POST',
      '/v1/executions/{executionId}/complete',
      async ({ event, params }) => {
        const token = callbackToken(event);
        const body = parseWith(CompleteBody, readJsonBody(event), 'completion');
        const result = await callbacks.complete(params.executionId!, token, body);
        return 'cancelled' in result ? json(409, { cancelled: true }) : json(200, result);
      },
      false,
    ),
  ];
}

/** Health, the OpenAPI document, schedule previews. */
export function systemRoutes({ queries, health, log }: ApiServices): Route[] {
  return [
    route(
      'GET',
      '/healthz',
      async () => {
        try {
          const details = await health();
          return json(200, { status: 'ok', ...details });
        } catch (error) {
          log.error('health check failed', { error: String(error) });
          return errorResponse(503, 'unavailable', 'a store or queue does not answer');
        }
      },
      false,
    ),
    route(
      'GET',
      '/v1/openapi.json',
      async ({ event }) => json(200, openApiDocumentFor(requestOrigin(event))),
      false,
    ),
    route('POST', '/v1/schedules/preview', async ({ event }) => {
      const body = parseWith(PreviewBody, readJsonBody(event), 'preview request');
      const runs = queries.previewSchedule(body.schedule, body.from ? ms(body.from) : undefined, body.count);
      return json(200, { runs: runs.map(iso) });
    }),
  ];
}
