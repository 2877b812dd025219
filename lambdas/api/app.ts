import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  CompleteBody,
  ListDeadLettersQuery,
  ListExecutionsQuery,
  ListJobsQuery,
  PreviewBody,
} from '../../schemas/api.js';
import { ExecutionId, JobId } from '../../schemas/common.js';
import { CreateJobBody, PatchJobBody } from '../../schemas/job.js';
import { ExecutionNotFound, JobNotFound } from '../core/errors.js';
import type { Logger } from '../core/ports/logger.js';
import { iso, ms } from '../core/time.js';
import type { JobsService } from '../services/jobs-service.js';
import { executionView } from '../services/views.js';
import {
  errorResponse,
  HttpError,
  header,
  json,
  parseWith,
  type Response,
  readJobBody,
  readJsonBody,
  readNoBody,
  toErrorResponse,
} from './http.js';
import { type IdempotencyDeps, runIdempotently } from './idempotency.js';
import { openApiDocumentFor, requestOrigin } from './openapi.js';
import { ifMatchOf } from './preconditions.js';
import { rateLimitResponse, TenantRateLimiter } from './rate-limit.js';
import { resolveTenant } from './tenant.js';

/** The execution callbacks of long-running targets (ExecuteService implements them). */
export interface CallbackHandler {
  heartbeat(
    executionId: string,
    token: string | undefined,
  ): Promise<{ cancelled: true } | { leaseUntil: string }>;
  complete(
    executionId: string,
    token: string | undefined,
    result: { status: 'succeeded' | 'failed'; error?: string },
  ): Promise<{ cancelled: true } | { status: string }>;
}

/** The callback token: `X-Scheduler-Callback-Token`, or `Authorization: Bearer <token>`. */
function callbackToken(event: APIGatewayProxyEventV2): string | undefined {
  const direct = header(event, 'x-scheduler-callback-token');
  if (direct) return direct;
  const auth = header(event, 'authorization');
  return auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
}

export interface ApiDeps {
  service: JobsService;
  callbacks: CallbackHandler;
  /** Resolves when the stores and queues answer. */
  health(): Promise<void>;
  log: Logger;
  /** Remembers POST responses under `Idempotency-Key`; absent, the header is ignored. */
  idempotency?: IdempotencyDeps;
  /** Per-tenant request rate; default DEFAULT_API_RATE. */
  rateLimit?: TenantRateLimiter;
}

type Params = Record<string, string>;
type Route = {
  method: string;
  pattern: RegExp;
  names: string[];
  auth: boolean;
  run: (ctx: { event: APIGatewayProxyEventV2; params: Params; tenant: string }) => Promise<Response>;
};

function route(method: string, path: string, run: Route['run'], auth = true): Route {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { method, pattern, names, auth, run };
}

/** How much of a malformed id an error message repeats. */
const SHOWN_ID_CHARS = 64;

/**
 * Path ids are checked for shape before any store read: an id that no job or execution can have
 * (overlong, malformed) names nothing, so it is 404 like an unknown one — and never reaches
 * DynamoDB, which refuses a key over 1 KiB with an exception.
 */
function assertIdShapes(params: Params): void {
  const shown = (id: string) => (id.length > SHOWN_ID_CHARS ? `${id.slice(0, SHOWN_ID_CHARS)}…` : id);
  const { jobId, executionId } = params;
  if (jobId !== undefined && !JobId.safeParse(jobId).success) throw new JobNotFound(shown(jobId));
  if (executionId !== undefined && !ExecutionId.safeParse(executionId).success) {
    throw new ExecutionNotFound(shown(executionId));
  }
}

function etag(version: number): Record<string, string> {
  return { etag: `"${version}"` };
}

/** Builds the API's request handler over injected services (the Lambda and the local server share it). */
export function createApi(deps: ApiDeps) {
  const { service } = deps;
  const limiter = deps.rateLimit ?? new TenantRateLimiter();
  const jobResponse = async (
    status: number,
    job: Awaited<ReturnType<JobsService['getJob']>>,
    extra: Record<string, string> = {},
  ) => json(status, await service.view(job), { ...etag(job.version), ...extra });

  const routes: Route[] = [
    route(
      'GET',
      '/healthz',
      async () => {
        try {
          await deps.health();
          return json(200, { status: 'ok' });
        } catch (error) {
          deps.log.error('health check failed', { error: String(error) });
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
    route('POST', '/v1/jobs', async ({ event, tenant }) => {
      const body = parseWith(CreateJobBody, readJobBody(event), 'job');
      const job = await service.createJob(tenant, body);
      return jobResponse(201, job, { location: `/v1/jobs/${job.jobId}` });
    }),
    route('GET', '/v1/jobs', async ({ event, tenant }) => {
      const query = parseWith(ListJobsQuery, event.queryStringParameters ?? {}, 'query');
      const page = await service.listJobs(
        tenant,
        {
          ...(query.status ? { status: query.status } : {}),
          ...(query.name ? { namePrefix: query.name } : {}),
        },
        query.limit,
        query.cursor,
      );
      const items = await Promise.all(page.items.map((job) => service.view(job)));
      return json(200, { items, nextCursor: page.nextCursor });
    }),
    route('GET', '/v1/jobs/{jobId}', async ({ params, tenant }) =>
      jobResponse(200, await service.getJob(tenant, params.jobId!)),
    ),
    route('DELETE', '/v1/jobs/{jobId}', async ({ event, params, tenant }) =>
      jobResponse(200, await service.cancelJob(tenant, params.jobId!, ifMatchOf(event))),
    ),
    route('PATCH', '/v1/jobs/{jobId}', async ({ event, params, tenant }) => {
      const patch = parseWith(PatchJobBody, readJobBody(event), 'job change');
      return jobResponse(200, await service.patchJob(tenant, params.jobId!, patch, ifMatchOf(event)));
    }),
    route('POST', '/v1/jobs/{jobId}/pause', async ({ event, params, tenant }) =>
      jobResponse(200, await service.pauseJob(tenant, params.jobId!, ifMatchOf(event))),
    ),
    route('POST', '/v1/jobs/{jobId}/resume', async ({ event, params, tenant }) =>
      jobResponse(200, await service.resumeJob(tenant, params.jobId!, ifMatchOf(event))),
    ),
    route('POST', '/v1/jobs/{jobId}/trigger', async ({ event, params, tenant }) => {
      readNoBody(event);
      const execution = await service.triggerJob(tenant, params.jobId!);
      return json(
        202,
        { executionId: execution.executionId },
        {
          location: `/v1/executions/${encodeURIComponent(execution.executionId)}`,
        },
      );
    }),
    route('GET', '/v1/jobs/{jobId}/executions', async ({ event, params, tenant }) => {
      const query = parseWith(ListExecutionsQuery, event.queryStringParameters ?? {}, 'query');
      const page = await service.listExecutions(
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
      json(200, executionView(await service.getExecution(tenant, params.executionId!))),
    ),
    route('POST', '/v1/executions/{executionId}/cancel', async ({ params, tenant }) =>
      json(200, executionView(await service.cancelExecution(tenant, params.executionId!))),
    ),
    route('GET', '/v1/dead-letters', async ({ event, tenant }) => {
      const query = parseWith(ListDeadLettersQuery, event.queryStringParameters ?? {}, 'query');
      const page = await service.listDeadLetters(tenant, query.limit, query.cursor);
      return json(200, { items: page.items.map(executionView), nextCursor: page.nextCursor });
    }),
    route('POST', '/v1/dead-letters/{executionId}/replay', async ({ params, tenant }) =>
      json(202, executionView(await service.replayDeadLetter(tenant, params.executionId!))),
    ),
    route(
      'POST',
      '/v1/executions/{executionId}/heartbeat',
      async ({ event, params }) => {
        const result = await deps.callbacks.heartbeat(params.executionId!, callbackToken(event));
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
        const result = await deps.callbacks.complete(params.executionId!, token, body);
        return 'cancelled' in result ? json(409, { cancelled: true }) : json(200, result);
      },
      false,
    ),
    route('POST', '/v1/schedules/preview', async ({ event }) => {
      const body = parseWith(PreviewBody, readJsonBody(event), 'preview request');
      const runs = service.previewSchedule(body.schedule, body.from ? ms(body.from) : undefined, body.count);
      return json(200, { runs: runs.map(iso) });
    }),
  ];

  return async function handleApiRequest(event: APIGatewayProxyEventV2): Promise<Response> {
    try {
      const method = event.requestContext.http.method.toUpperCase();
      const path = event.rawPath.length > 1 ? event.rawPath.replace(/\/+$/, '') : event.rawPath;
      const matching = routes.filter((r) => r.pattern.test(path));
      if (matching.length === 0) throw new HttpError(404, 'not_found', `no route for ${path}`);
      const chosen = matching.find((r) => r.method === method);
      if (!chosen) {
        const allowed = matching.map((r) => r.method).join(', ');
        return errorResponse(405, 'method_not_allowed', `${method} is not allowed on ${path}`, [], {
          allow: allowed,
        });
      }
      const values = chosen.pattern.exec(path)!.slice(1);
      const params: Params = {};
      chosen.names.forEach((name, i) => {
        params[name] = decodeSegment(values[i] ?? '');
      });
      const tenant = chosen.auth ? resolveTenant(event) : '';
      const limited = chosen.auth ? rateLimitResponse(limiter, tenant) : null;
      if (limited) return limited;
      assertIdShapes(params);
      const run = () => chosen.run({ event, params, tenant });
      if (chosen.auth && method === 'POST' && deps.idempotency) {
        // Error answers are remembered too (a replayed 400 or 409), so the wrapper gets them as responses.
        const respond = () => run().catch((error: unknown) => toErrorResponse(error, deps.log));
        return await runIdempotently(deps.idempotency, deps.log, event, tenant, `POST ${path}`, respond);
      }
      return await run();
    } catch (error) {
      return toErrorResponse(error, deps.log);
    }
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'validation_error', 'path contains invalid percent-encoding');
  }
}
