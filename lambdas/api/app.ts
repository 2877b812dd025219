import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Response, toErrorResponse } from './http.js';
import { type IdempotencyDeps, runIdempotently } from './idempotency.js';
import { rateLimitResponse, TenantRateLimiter } from './rate-limit.js';
import { assertIdShapes, matchRoute } from './router.js';
import { type ApiServices, executionRoutes, jobRoutes, systemRoutes } from './routes.js';
import { resolveTenant } from './tenant.js';

export interface ApiDeps extends ApiServices {
  /** Remembers POST responses under `Idempotency-Key`; absent, the header is ignored. */
  idempotency?: IdempotencyDeps;
  /** Per-tenant request rate; default DEFAULT_API_RATE. */
  rateLimit?: TenantRateLimiter;
}

/**
 * The API's request handler over injected services (wiring.ts builds it for the Lambda
 * and the local server alike): route, the caller's tenant and its rate, the ids' shape, then the
 * route itself — a POST under its `Idempotency-Key` — and every error as its status code.
 */
export function createApi(deps: ApiDeps) {
  const limiter = deps.rateLimit ?? new TenantRateLimiter();
  const routes = [...systemRoutes(deps), ...jobRoutes(deps), ...executionRoutes(deps)];

  return async function handleApiRequest(event: APIGatewayProxyEventV2): Promise<Response> {
    try {
      const method = event.requestContext.http.method.toUpperCase();
      const matched = matchRoute(routes, method, event.rawPath);
      if (!('route' in matched)) return matched;
      const { route: chosen, params, path } = matched;
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
