import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ApiDeps, createApi } from '../../lambdas/api/app.js';
import type { TenantRateLimiter } from '../../lambdas/api/rate-limit.js';
import { CallbackService } from '../../lambdas/services/executor/callback-service.js';
import { ExecutionService } from '../../lambdas/services/jobs/execution-service.js';
import { JobService } from '../../lambdas/services/jobs/job-service.js';
import { QueryService } from '../../lambdas/services/jobs/query-service.js';
import type { ServiceDeps } from '../../lambdas/services/service-deps.js';
import { apiGatewayEvent } from './lambda-events.js';
import { setup } from './scheduler.js';
import type { fakeDeps } from './services.js';
import { silentLogger } from './services.js';

export interface HarnessResponse {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  body: any;
}

/** createApi over these deps, as the composition root wires it, with `extra` on top (a rate limiter, an idempotency store). */
export function apiOver(deps: ServiceDeps, extra: Partial<ApiDeps> = {}) {
  return createApi({
    jobs: new JobService(deps),
    queries: new QueryService(deps),
    executions: new ExecutionService(deps),
    callbacks: new CallbackService(deps, 'exec-api'),
    health: async () => ({}),
    log: deps.log,
    ...extra,
  });
}

/**
 * The API's request handler (createApi) over the in-memory stores and a fake clock: handler-level
 * tests of routes, status codes and headers without a server or emulators.
 */
export function apiHarness(now: number) {
  const s = setup({ now });
  const api = apiOver(s.deps, { log: silentLogger, idempotency: { store: s.idempotency, clock: s.clock } });
  async function request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    tenant = 'team-a',
  ): Promise<HarnessResponse> {
    return answerOf(await api(apiGatewayEvent(method, path, body, headers, { lambda: { tenant } })));
  }
  return { ...s, request };
}

/** createApi over fake deps, with the options the harness does not expose. */
export function customApi(f: ReturnType<typeof fakeDeps>, rateLimit?: TenantRateLimiter) {
  const api = apiOver(f.deps, rateLimit ? { rateLimit } : {});
  return async (method: string, path: string, tenant: string | null, body?: unknown) => {
    const authorizer = tenant === null ? {} : { lambda: { tenant } };
    return answerOf(await api(apiGatewayEvent(method, path, body, {}, authorizer)));
  };
}

/** The API's response as the tests read it: status, headers, the body as JSON. */
export function answerOf(result: APIGatewayProxyStructuredResultV2): HarnessResponse {
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
    body: result.body ? JSON.parse(result.body) : undefined,
  };
}

/** A cron schedule in UTC, as a request body writes it. */
export const cronSchedule = (expression: string, extra: Record<string, unknown> = {}) => ({
  type: 'cron',
  expression,
  timezone: 'UTC',
  ...extra,
});

/** How many jobs the tenant `team-a` holds, through the API. */
export async function countJobs(h: ReturnType<typeof apiHarness>): Promise<number> {
  return (await h.request('GET', '/v1/jobs')).body.items.length;
}
