import { describe, expect, it } from 'vitest';
import { apiHarness, countJobs, cronSchedule } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

describe('API: POST /v1/schedules/preview', () => {
  it('lists the next runs across a DST change without creating a job', async () => {
    const h = apiHarness(NOW);
    const res = await h.request('POST', '/v1/schedules/preview', {
      schedule: { type: 'cron', expression: '0 * * * *', timezone: 'America/New_York' },
      from: '2026-11-01T04:00:00.000Z',
      count: 4,
    });
    expect(res.status).toBe(200);
    // 00:00 EDT, 01:00 EDT, 01:00 EST (the repeated hour, at every real instant), 02:00 EST.
    expect(res.body.runs).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
    expect(await countJobs(h)).toBe(0);
  });

  it('counts from now by default, and a rate schedule from one interval after', async () => {
    const h = apiHarness(NOW);
    const res = await h.request('POST', '/v1/schedules/preview', {
      schedule: { type: 'rate', everySeconds: 90 },
      count: 2,
    });
    expect(res.body.runs).toEqual(['2026-05-01T12:01:30.000Z', '2026-05-01T12:03:00.000Z']);
  });

  it.each([
    ['a count above 1000', { schedule: cronSchedule('* * * * *'), count: 1001 }, 'count'],
    ['a count of 0', { schedule: cronSchedule('* * * * *'), count: 0 }, 'count'],
    [
      'an unknown timezone',
      { schedule: cronSchedule('0 9 * * *', { timezone: 'Mars/Olympus' }) },
      'timezone',
    ],
    ['an expression that never matches', { schedule: cronSchedule('0 0 30 2 *') }, 'schedule'],
  ])('refuses %s with 400', async (_what, body, mentions) => {
    const h = apiHarness(NOW);
    const res = await h.request('POST', '/v1/schedules/preview', body);
    expect(res.status).toBe(400);
    const named = [
      res.body.error.message,
      ...(res.body.error.details ?? []).map((d: { path: string }) => d.path),
    ];
    expect(named.join(' ')).toContain(mentions);
  });
});
