import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from './http.js';

interface AuthorizerContext {
  lambda?: { tenant?: unknown };
  jwt?: { claims?: Record<string, unknown> };
  iam?: { userArn?: unknown; userId?: unknown };
}

/**
 * An IAM caller's tenant is its identity, not its session: `arn:aws:sts::<acct>:assumed-role/<role>/<session>`
 * becomes `arn:aws:sts::<acct>:assumed-role/<role>`, so every session of one role (each Lambda
 * container, each CI run) sees the same jobs. Users and other ARNs are used as they are.
 */
export function iamTenant(arn: string): string {
  const assumed = /^(arn:[\w-]+:sts::\d{12}:assumed-role\/[^/]+)\/.+$/.exec(arn);
  return assumed?.[1] ?? arn;
}

/**
 * The caller's tenant: set by the local server's API-key check (`lambda.tenant`), a JWT claim
 * (SCHEDULER_TENANT_CLAIM, default `sub`), or the IAM caller's ARN without its session name.
 */
export function resolveTenant(
  event: APIGatewayProxyEventV2,
  claim = process.env.SCHEDULER_TENANT_CLAIM || 'sub',
): string {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const userArn = authorizer?.iam?.userArn;
  const candidates = [
    authorizer?.lambda?.tenant,
    authorizer?.jwt?.claims?.[claim],
    typeof userArn === 'string' ? iamTenant(userArn) : undefined,
  ];
  for (const value of candidates) {
    if (typeof value === 'string' && value.length > 0 && value.length <= 512) return value;
  }
  throw new HttpError(401, 'unauthorized', 'the request carries no identity this scheduler accepts');
}
