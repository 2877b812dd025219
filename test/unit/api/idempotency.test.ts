import { describe, expect, it } from 'vitest';
import {
  IN_PROGRESS_LOCK_MS,
  keyHashFor,
  newClaim,
  requestHashFor,
} from '../../../lambdas/core/idempotency.js';
import { apiHarness, countJobs, cronSchedule } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

const target = { url: 'https://example.com/hook' };

describe('API: Idempotency-Key on POST', () => {
  const job = { name: 'nightly', schedule: cronSchedule('0 15 * * *'), target };
  const key = (value: string) => ({ 'idempotency-key': value });

  it('answers the same key and body with the first response, and creates one job', async () => {
    const h = apiHarness(NOW);
    const first = await h.request('POST', '/v1/jobs', job, key('k-1'));
    expect(first.status).toBe(201);
    // The same request written differently (key order, whitespace) is the same request.
    const reordered = `{ "target": ${JSON.stringify(target)}, "schedule": ${JSON.stringify(cronSchedule('0 15 * * *'))},
      "name": "nightly" }`;
    const again = await h.request('POST', '/v1/jobs', reordered, key('k-1'));
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await countJobs(h)).toBe(1);
  });

  it('refuses the same key with another body (409 idempotency_conflict) and creates nothing', async () => {
    const h = apiHarness(NOW);
    await h.request('POST', '/v1/jobs', job, key('k-1'));
    const other = await h.request('POST', '/v1/jobs', { ...job, name: 'other' }, key('k-1'));
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    expect(await countJobs(h)).toBe(1);
  });

  it('forgets a key after 24 hours', async () => {
    const h = apiHarness(NOW);
    const first = await h.request('POST', '/v1/jobs', job, key('k-1'));
    h.clock.current = NOW + 24 * 3600_000 - 1000;
    expect((await h.request('POST', '/v1/jobs', job, key('k-1'))).body.id).toBe(first.body.id);
    h.clock.current = NOW + 24 * 3600_000;
    const later = await h.request('POST', '/v1/jobs', { ...job, name: 'other' }, key('k-1'));
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('scopes a key to the tenant and the route', async () => {
    const h = apiHarness(NOW);
    const a = await h.request('POST', '/v1/jobs', job, key('shared'));
    const b = await h.request('POST', '/v1/jobs', job, key('shared'), 'team-b');
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
    const trigger = await h.request('POST', `/v1/jobs/${a.body.id}/trigger`, undefined, key('shared'));
    expect(trigger.status).toBe(202);
    const triggerAgain = await h.request('POST', `/v1/jobs/${a.body.id}/trigger`, undefined, key('shared'));
    expect(triggerAgain.body.executionId).toBe(trigger.body.executionId);
    expect(h.queue.sent.filter((r) => r.message.trigger === 'manual')).toHaveLength(1);
  });

  it('remembers a 4xx answer but not a server failure, whose retry runs again', async () => {
    const h = apiHarness(NOW);
    const bad = await h.request(
      'POST',
      '/v1/jobs',
      { ...job, schedule: cronSchedule('61 * * * *') },
      key('k-bad'),
    );
    const badAgain = await h.request(
      'POST',
      '/v1/jobs',
      { ...job, schedule: cronSchedule('61 * * * *') },
      key('k-bad'),
    );
    expect([bad.status, badAgain.status]).toEqual([400, 400]);
    expect(badAgain.headers['idempotent-replayed']).toBe('true');
    h.jobs.beforeWrite = () => {
      throw new Error('store unavailable');
    };
    const failed = await h.request('POST', '/v1/jobs', job, key('k-2'));
    expect(failed.status).toBe(500);
    expect(JSON.stringify(failed.body)).not.toContain('store unavailable');
    h.jobs.beforeWrite = () => {};
    const retried = await h.request('POST', '/v1/jobs', job, key('k-2'));
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers 409 idempotency_in_progress with Retry-After while the first request still runs', async () => {
    const h = apiHarness(NOW);
    const claim = newClaim(
      'team-a',
      keyHashFor('POST /v1/jobs', 'k-1'),
      requestHashFor(JSON.stringify(job)),
      NOW,
    );
    await h.idempotency.claim(claim, NOW);
    const res = await h.request('POST', '/v1/jobs', job, key('k-1'));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('idempotency_in_progress');
    expect(res.headers['retry-after']).toBe('1');
    expect(await countJobs(h)).toBe(0);
    // A claim whose request died is taken over once its lock lapses.
    h.clock.current = NOW + IN_PROGRESS_LOCK_MS;
    expect((await h.request('POST', '/v1/jobs', job, key('k-1'))).status).toBe(201);
  });

  it('refuses an unusable key with 400 and runs nothing', async () => {
    const h = apiHarness(NOW);
    for (const bad of ['x'.repeat(256), 'clé']) {
      const res = await h.request('POST', '/v1/jobs', job, key(bad));
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe('Idempotency-Key');
    }
    expect(await countJobs(h)).toBe(0);
  });
});
