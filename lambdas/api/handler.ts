import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { newOwnerId } from '../core/ids.js';
import { ExecuteService } from '../services/execute-service.js';
import { JobsService } from '../services/jobs-service.js';
import { configFromEnv, DEFAULTS } from '../shared/config.js';
import { lambdaDeps, logger, metrics, tracer } from '../shared/lambda-context.js';
import { createApi } from './app.js';
import { cachedHealth } from './health-cache.js';
import { TenantRateLimiter } from './rate-limit.js';

let api: ReturnType<typeof createApi> | undefined;

function apiHandler(event: APIGatewayProxyEventV2) {
  if (!api) {
    const deps = lambdaDeps();
    const config = configFromEnv();
    api = createApi({
      service: new JobsService(deps),
      callbacks: new ExecuteService(deps, newOwnerId(Math.random)),
      health: cachedHealth(async () => {
        await Promise.all([deps.jobs.ping(), deps.executions.ping(), deps.queue.ping()]);
      }, deps.clock.now),
      log: deps.log,
      // The same Idempotency-Key and per-tenant rate rules as locally (API Gateway throttling is the outer guard).
      ...(deps.idempotency ? { idempotency: { store: deps.idempotency, clock: deps.clock } } : {}),
      rateLimit: new TenantRateLimiter({
        ratePerSecond: config.apiRatePerSecond ?? DEFAULTS.apiRatePerSecond,
        burst: config.apiBurst ?? DEFAULTS.apiBurst,
      }),
    });
  }
  return api(event);
}

export const handler = middy(apiHandler)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  // Executions the API ends (async completions, cancels) count in the outcome metrics.
  .use(logMetrics(metrics));
