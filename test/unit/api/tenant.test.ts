import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { iamTenant, resolveTenant } from '../../../lambdas/api/tenant.js';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { apiHarness, customApi } from '../../support/api-harness.js';
import { fakeDeps } from '../../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const target = { url: 'https://example.com/hook' };
const daily = { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' };

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

describe('tenancy', () => {
  it('answers 404 for another tenant’s job and execution on every route, and changes nothing', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', { schedule: daily, target });
    const id = created.body.id as string;
    const triggered = await h.request('POST', `/v1/jobs/${id}/trigger`);
    const executionId = encodeURIComponent(triggered.body.executionId as string);
    const before = {
      jobs: structuredClone([...h.jobs.items]),
      runs: structuredClone([...h.executions.items]),
    };
    const sent = h.queue.sent.length;

    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/jobs/${id}`],
      ['PATCH', `/v1/jobs/${id}`, { name: 'stolen' }],
      ['DELETE', `/v1/jobs/${id}`],
      ['POST', `/v1/jobs/${id}/pause`],
      ['POST', `/v1/jobs/${id}/resume`],
      ['POST', `/v1/jobs/${id}/trigger`],
      ['GET', `/v1/jobs/${id}/executions`],
      ['GET', `/v1/executions/${executionId}`],
      ['POST', `/v1/executions/${executionId}/cancel`],
      ['POST', `/v1/dead-letters/${executionId}/replay`],
    ];
    for (const [method, path, body] of routes) {
      const res = await h.request(method, path, body, {}, 'team-b');
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await h.request('GET', '/v1/jobs', undefined, {}, 'team-b')).body.items).toEqual([]);
    expect((await h.request('GET', '/v1/dead-letters', undefined, {}, 'team-b')).body.items).toEqual([]);
    expect([...h.jobs.items]).toEqual(before.jobs);
    expect([...h.executions.items]).toEqual(before.runs);
    expect(h.queue.sent).toHaveLength(sent);
    // The owner still sees it all.
    expect((await h.request('GET', `/v1/jobs/${id}`)).status).toBe(200);
    expect((await h.request('GET', `/v1/executions/${executionId}`)).status).toBe(200);
  });

  it('answers 401 without an identity, and callbacks take the execution token, never the tenant', async () => {
    const f = fakeDeps(NOW);
    const call = customApi(f);
    expect((await call('GET', '/v1/jobs', null)).status).toBe(401);
    const created = await call('POST', '/v1/jobs', 'team-a', {
      schedule: { type: 'immediate' },
      target,
    });
    expect(created.status).toBe(201);
    const run = f.queue.take()[0]!;
    f.http.answer = () => ({ kind: 'response', statusCode: 202, body: '{"async":true}', durationMs: 1 });
    expect(await new ExecutorService(f.deps, 'exec-1').handle(run.message)).toBe('running');

    // The owning tenant's identity is not a callback credential.
    const path = `/v1/executions/${encodeURIComponent(run.message.executionId)}`;
    const beat = await call('POST', `${path}/heartbeat`, 'team-a');
    expect(beat.status).toBe(401);
    expect(beat.body.error.code).toBe('unauthorized');
    const done = await call('POST', `${path}/complete`, 'team-a', { status: 'succeeded' });
    expect(done.status).toBe(401);
    expect((await f.executions.getExecution(run.message.executionId))?.status).toBe('running');
  });
});
