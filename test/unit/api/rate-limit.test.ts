import { describe, expect, it } from 'vitest';
import { TenantRateLimiter } from '../../../lambdas/api/rate-limit.js';
import { customApi } from '../../support/api-harness.js';
import { fakeDeps } from '../../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const target = { url: 'https://example.com/hook' };
const daily = { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' };

describe('per-tenant request rate', () => {
  it('answers 429 with Retry-After once a tenant spends its burst; other tenants and health go on', async () => {
    const f = fakeDeps(NOW);
    const limiter = new TenantRateLimiter({ ratePerSecond: 2, burst: 3 }, () => f.clock.now());
    const call = customApi(f, limiter);
    for (let i = 0; i < 3; i++) expect((await call('GET', '/v1/jobs', 'team-a')).status).toBe(200);
    const limited = await call('GET', '/v1/jobs', 'team-a');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.error.code).toBe('rate_limited');
    expect((await call('POST', '/v1/jobs', 'team-a', { schedule: daily, target })).status).toBe(429);
    expect(f.jobs.items.size).toBe(0);

    expect((await call('GET', '/v1/jobs', 'team-b')).status).toBe(200);
    expect((await call('GET', '/healthz', null)).status).toBe(200);
    f.clock.advance(500); // one token back at 2 per second
    expect((await call('GET', '/v1/jobs', 'team-a')).status).toBe(200);
    expect((await call('GET', '/v1/jobs', 'team-a')).status).toBe(429);
  });
});
