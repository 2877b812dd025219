import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { wireApi } from '../composition/api.js';
import { configFromEnv } from '../composition/config.js';
import { lambdaDeps, logger, metrics, tracer } from '../composition/lambda-context.js';

let api: ReturnType<typeof wireApi> | undefined;

function apiHandler(event: APIGatewayProxyEventV2) {
  // The same Idempotency-Key and per-tenant rate rules as locally (API Gateway throttling is the outer guard).
  api ??= wireApi(lambdaDeps(), { ...configFromEnv(), cacheHealth: true });
  return api(event);
}

export const handler = middy(apiHandler)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  // Executions the API ends (async completions, cancels) count in the outcome metrics.
  .use(logMetrics(metrics));
