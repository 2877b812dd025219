import { describe, expect, it } from 'vitest';
import { EMPTY_ALLOWLIST } from '../../lambdas/core/ssrf.js';
import { apiHarness, customApi } from '../support/api-harness.js';
import { MemoryTenantJobCounter } from '../support/memory-tenant-counters.js';
import { fakeDeps } from '../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const target = { url: 'https://example.com/hook' };
const daily = { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' };

describe('tenant policy', () => {
  it('gives the place back when a create is refused, so refusals never use up the jobs limit', async () => {
    const f = fakeDeps(NOW);
    const counter = new MemoryTenantJobCounter();
    f.deps.policy = { allowlist: EMPTY_ALLOWLIST, jobs: { counter, max: 3 } };
    const call = customApi(f);
    const unknownUpstream = { schedule: daily, target, dependsOn: ['job_01HZZZZZZZZZZZZZZZZZZZZZZZ'] };
    for (let i = 0; i < 5; i++) {
      const refused = await call('POST', '/v1/jobs', 'team-a', unknownUpstream);
      expect(refused.status).toBe(400);
    }
    const failing = f.jobs.createJob.bind(f.jobs);
    f.jobs.createJob = async () => {
      throw new Error('store down');
    };
    expect((await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target })).status).toBe(500);
    f.jobs.createJob = failing;
    for (let i = 0; i < 3; i++) {
      expect((await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target })).status).toBe(201);
    }
    const over = await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('job_limit_reached');
  });

  it('holds each tenant to its jobs limit (409), counting cancels back', async () => {
    const f = fakeDeps(NOW);
    f.deps.policy = { allowlist: EMPTY_ALLOWLIST, jobs: { counter: new MemoryTenantJobCounter(), max: 2 } };
    const call = customApi(f);
    const job = { schedule: daily, target };
    const first = await call('POST', '/v1/jobs', 'team-a', job);
    expect((await call('POST', '/v1/jobs', 'team-a', job)).status).toBe(201);
    const third = await call('POST', '/v1/jobs', 'team-a', job);
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('job_limit_reached');
    expect((await call('POST', '/v1/jobs', 'team-b', job)).status).toBe(201);

    expect((await call('DELETE', `/v1/jobs/${first.body.id}`, 'team-a')).status).toBe(200);
    expect((await call('POST', '/v1/jobs', 'team-a', job)).status).toBe(201);
    expect((await call('POST', '/v1/jobs', 'team-a', job)).status).toBe(409);
    expect(f.jobs.items.size).toBe(4);
  });

  it('refuses a webhook at the metadata address when the job is created', async () => {
    const h = apiHarness(NOW);
    const res = await h.request('POST', '/v1/jobs', {
      schedule: daily,
      target,
      notifications: [{ on: ['failed'], webhook: 'http://169.254.169.254/latest/meta-data/' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('target_not_allowed');
    expect(res.body.error.details[0].path).toBe('notifications.0.webhook');
    expect(h.jobs.items.size).toBe(0);
  });
});
