import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { configFromEnv } from '../composition/config.js';
import { instrumented, lambdaDeps } from '../composition/lambda-context.js';
import { wireApi } from './wiring.js';

let api: ReturnType<typeof wireApi> | undefined;

function apiHandler(event: APIGatewayProxyEventV2) {
  // The same Idempotency-Key and per-tenant rate rules as locally (API Gateway throttling is the outer guard).
  api ??= wireApi(lambdaDeps(), { ...configFromEnv(), cacheHealth: true });
  return api(event);
}

// Executions the API ends (async completions, cancels) count in the outcome metrics.
export const handler = instrumented(apiHandler);
