import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from './http.js';

interface AuthorizerContext {
  lambda?: { tenant?: unknown };
  jwt?: { claims?: Record<string, unknown> };
  iam?: { userArn?: unknown; userId?: unknown };
}

/**
 * The caller's tenant: set by the local server's API-key check (`lambda.tenant`), a JWT claim
 * (SCHEDULER_TENANT_CLAIM, default `sub`), or the IAM caller's ARN.
 */
export function resolveTenant(
  event: APIGatewayProxyEventV2,
  claim = process.env.SCHEDULER_TENANT_CLAIM || 'sub',
): string {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const candidates = [authorizer?.lambda?.tenant, authorizer?.jwt?.claims?.[claim], authorizer?.iam?.userArn];
  for (const value of candidates) {
    if (typeof value === 'string' && value.length > 0 && value.length <= 512) return value;
  }
  throw new HttpError(401, 'unauthorized', 'the request carries no identity this scheduler accepts');
}
