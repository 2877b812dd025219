import { describe, expect, it } from 'vitest';
import { apiHarness } from '../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const target = { url: 'https://example.com/hook' };

describe('Job resource: nextRunAt counts runs already handed to the queue', () => {
  it('shows a once-job inside the look-ahead at its time, then null once that time has passed', async () => {
    const h = apiHarness(NOW);
    const at = '2026-05-01T12:00:10.000Z';
    const created = await h.request('POST', '/v1/jobs', { schedule: { type: 'once', at }, target });
    expect(created.status).toBe(201);
    expect(h.queue.sent).toHaveLength(1); // the fast path queued the run at create
    expect(created.body.nextRunAt).toBe(at);
    expect((await h.request('GET', `/v1/jobs/${created.body.id}`)).body.nextRunAt).toBe(at);
    h.clock.current = Date.parse(at) + 1;
    expect((await h.request('GET', `/v1/jobs/${created.body.id}`)).body.nextRunAt).toBeNull();
  });

  it('shows the next queued cron run before the stored resume point of the watcher', async () => {
    const h = apiHarness(Date.parse('2026-05-01T12:00:20.000Z'));
    const created = await h.request('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' },
      target,
    });
    expect(created.status).toBe(201);
    // 12:01 and 12:02 are on the queue; the job itself resumes at 12:03.
    expect(created.body.nextRunAt).toBe('2026-05-01T12:01:00.000Z');
    h.clock.current = Date.parse('2026-05-01T12:01:30.000Z');
    const listed = await h.request('GET', '/v1/jobs');
    expect(listed.body.items[0].nextRunAt).toBe('2026-05-01T12:02:00.000Z');
  });

  it('shows null for a paused job even while runs it queued before the pause are pending', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' },
      target,
    });
    const paused = await h.request('POST', `/v1/jobs/${created.body.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.nextRunAt).toBeNull();
  });
});

describe('Job resource: one shape everywhere', () => {
  it('shows `name: null` for an unnamed job on create, GET, list, PATCH, pause and cancel', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '0 15 * * *' },
      target,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const shapes = [
      created.body,
      (await h.request('GET', `/v1/jobs/${id}`)).body,
      (await h.request('GET', '/v1/jobs')).body.items[0],
      (await h.request('PATCH', `/v1/jobs/${id}`, { timeoutSeconds: 5 })).body,
      (await h.request('POST', `/v1/jobs/${id}/pause`)).body,
      (await h.request('DELETE', `/v1/jobs/${id}`)).body,
    ];
    for (const job of shapes) {
      expect(job).toHaveProperty('name', null);
      expect(Object.keys(job).sort()).toEqual(Object.keys(created.body).sort());
    }
  });
});
