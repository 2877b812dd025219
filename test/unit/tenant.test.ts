import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { iamTenant, resolveTenant } from '../../lambdas/api/tenant.js';

const withAuthorizer = (authorizer: unknown) =>
  ({ requestContext: { authorizer } }) as unknown as APIGatewayProxyEventV2;

describe('tenant of a request', () => {
  it('gives every session of one IAM role the same tenant', () => {
    const a = 'arn:aws:sts::123456789012:assumed-role/deploy-bot/ci-run-1';
    const b = 'arn:aws:sts::123456789012:assumed-role/deploy-bot/ci-run-2';
    expect(iamTenant(a)).toBe('arn:aws:sts::123456789012:assumed-role/deploy-bot');
    expect(resolveTenant(withAuthorizer({ iam: { userArn: a } }))).toBe(
      resolveTenant(withAuthorizer({ iam: { userArn: b } })),
    );
    expect(iamTenant('arn:aws-cn:sts::123456789012:assumed-role/r/s')).toBe(
      'arn:aws-cn:sts::123456789012:assumed-role/r',
    );
  });

  it('keeps IAM users and other roles apart', () => {
    expect(iamTenant('arn:aws:iam::123456789012:user/alice')).toBe('arn:aws:iam::123456789012:user/alice');
    expect(iamTenant('arn:aws:sts::123456789012:assumed-role/other/ci-run-1')).not.toBe(
      iamTenant('arn:aws:sts::123456789012:assumed-role/deploy-bot/ci-run-1'),
    );
  });

  it('prefers the API key tenant, then the JWT claim, and refuses a request with no identity', () => {
    expect(
      resolveTenant(withAuthorizer({ lambda: { tenant: 'team-a' }, jwt: { claims: { sub: 'x' } } })),
    ).toBe('team-a');
    expect(resolveTenant(withAuthorizer({ jwt: { claims: { org: 'acme', sub: 'u1' } } }), 'org')).toBe(
      'acme',
    );
    expect(() => resolveTenant(withAuthorizer({}))).toThrow(/no identity/);
  });
});
