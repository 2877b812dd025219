import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const target = { url: 'https://example.com/hook' };
const fifthMondayOfFebruary = { type: 'cron', expression: '0 0 * 2 1#5', timezone: 'UTC' };

describe('API: schedules whose next run is far away', () => {
  it('creates an active job whose next run is decades ahead, never a completed one', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', { schedule: fifthMondayOfFebruary, target });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'active', nextRunAt: '2044-02-29T00:00:00.000Z' });
    expect(h.queue.sent).toEqual([]);
    const read = await h.request('GET', `/v1/jobs/${created.body.id}`);
    expect(read.body).toMatchObject({ status: 'active', nextRunAt: '2044-02-29T00:00:00.000Z' });
  });

  it('previews the same runs the job will have', async () => {
    const h = apiHarness(NOW);
    const preview = await h.request('POST', '/v1/schedules/preview', {
      schedule: fifthMondayOfFebruary,
      count: 2,
    });
    expect(preview.status).toBe(200);
    expect(preview.body.runs).toEqual(['2044-02-29T00:00:00.000Z', '2072-02-29T00:00:00.000Z']);
  });

  it('moves a PATCHed job to its far next run', async () => {
    const h = apiHarness(NOW);
    const created = await h.request('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '0 15 * * *' },
      target,
    });
    const patched = await h.request('PATCH', `/v1/jobs/${created.body.id}`, {
      schedule: fifthMondayOfFebruary,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: 'active', nextRunAt: '2044-02-29T00:00:00.000Z' });
  });

  it('refuses a schedule whose window closes before its first run, saying when that would be', async () => {
    const h = apiHarness(NOW);
    const body = {
      schedule: { ...fifthMondayOfFebruary, endAt: '2040-01-01T00:00:00.000Z' },
      target,
    };
    const created = await h.request('POST', '/v1/jobs', body);
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe('invalid_schedule');
    expect(created.body.error.message).toContain('2044-02-29T00:00:00.000Z');
    expect(created.body.error.details).toEqual([
      {
        path: 'schedule.endAt',
        message: 'its first run would be at 2044-02-29T00:00:00.000Z, after endAt 2040-01-01T00:00:00.000Z',
      },
    ]);
    expect((await h.request('GET', '/v1/jobs')).body.items).toEqual([]);
    const preview = await h.request('POST', '/v1/schedules/preview', { schedule: body.schedule });
    expect(preview.status).toBe(400);
    expect(preview.body.error.details).toEqual(created.body.error.details);
  });
});

describe('API: EventBridge Scheduler expressions', () => {
  const create = async (schedule: Record<string, unknown>) => {
    const h = apiHarness(NOW);
    return { h, res: await h.request('POST', '/v1/jobs', { schedule, target }) };
  };

  it.each([
    [
      { type: 'cron', expression: 'cron(0 9 15W * ? *)', timezone: 'Europe/London' },
      // 15 May 2026 is a Friday; British Summer Time
      '2026-05-15T08:00:00.000Z',
    ],
    [{ type: 'cron', expression: 'cron(0 12 ? * 3#2 2027)' }, '2027-01-12T12:00:00.000Z'],
    [{ type: 'rate', expression: 'rate(5 minutes)' }, '2026-05-01T12:05:00.000Z'],
    [
      { type: 'rate', expression: 'rate(1 day)', startAt: '2026-05-02T06:00:00.000Z' },
      '2026-05-02T06:00:00.000Z',
    ],
    [
      { type: 'once', at: 'at(2026-11-01T01:30:00)', timezone: 'America/New_York' },
      // 01:30 happens twice that night: the first (EDT) is meant
      '2026-11-01T05:30:00.000Z',
    ],
    [{ type: 'once', at: 'at(2026-06-01T00:00:00)' }, '2026-06-01T00:00:00.000Z'],
  ])(
    'creates a job from %j, keeping the expression as written (next run %s)',
    async (schedule, nextRunAt) => {
      const { h, res } = await create(schedule);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'active', nextRunAt });
      expect(res.body.schedule).toMatchObject(schedule);
      const read = await h.request('GET', `/v1/jobs/${res.body.id}`);
      expect(read.body.schedule).toEqual(res.body.schedule);
      const preview = await h.request('POST', '/v1/schedules/preview', { schedule, count: 1 });
      expect(preview.body.runs).toEqual([nextRunAt]);
    },
  );

  it('previews an EventBridge cron across a DST change in the schedule’s zone', async () => {
    const h = apiHarness(NOW);
    const preview = await h.request('POST', '/v1/schedules/preview', {
      schedule: { type: 'cron', expression: 'cron(30 2 ? * SUN *)', timezone: 'America/New_York' },
      from: '2027-03-01T00:00:00.000Z',
      count: 3,
    });
    expect(preview.status).toBe(200);
    // 14 March 2027 skips 02:00-03:00: that Sunday runs once at 03:00 EDT
    expect(preview.body.runs).toEqual([
      '2027-03-07T07:30:00.000Z',
      '2027-03-14T07:00:00.000Z',
      '2027-03-21T06:30:00.000Z',
    ]);
  });

  it('shows a rate expression as written on a PATCHed job and moves its next run', async () => {
    const { h, res } = await create({ type: 'rate', everySeconds: 60 });
    const patched = await h.request('PATCH', `/v1/jobs/${res.body.id}`, {
      schedule: { type: 'rate', expression: 'rate(2 hours)' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.schedule).toEqual({ type: 'rate', expression: 'rate(2 hours)' });
    expect(patched.body.nextRunAt).toBe('2026-05-01T14:00:00.000Z');
  });

  it.each([
    [{ type: 'cron', expression: 'cron(0 10 * * * *)' }, 'invalid_schedule', 'schedule.expression'],
    [{ type: 'cron', expression: 'cron(0 0 ? * 8 *)' }, 'invalid_schedule', 'schedule.expression'],
    [{ type: 'cron', expression: 'cron(0 0 1 1 ? 2020)' }, 'invalid_schedule', 'schedule.expression'],
    [{ type: 'rate', expression: 'rate(5 minute)' }, 'invalid_schedule', 'schedule.expression'],
    [{ type: 'rate', expression: 'rate(30 seconds)' }, 'invalid_schedule', 'schedule.expression'],
    [{ type: 'rate', expression: 'rate(5 minutes)', everySeconds: 300 }, 'validation_error', 'schedule'],
    [{ type: 'rate' }, 'validation_error', 'schedule'],
    [{ type: 'once', at: 'at(2026-02-30T09:00:00)' }, 'invalid_schedule', 'schedule.at'],
    [{ type: 'once', at: 'at(2026-06-01 09:00)' }, 'invalid_schedule', 'schedule.at'],
    [{ type: 'once', at: 'next tuesday' }, 'validation_error', 'schedule.at'],
    [{ type: 'once', at: 'at(2040-01-01T00:00:00)' }, 'invalid_schedule', 'schedule.at'],
    [
      { type: 'once', at: 'at(2026-06-01T09:00:00)', timezone: 'Mars/Olympus_Mons' },
      'invalid_schedule',
      'schedule.timezone',
    ],
  ])('refuses %j with 400 %s naming %s, and stores nothing', async (schedule, code, path) => {
    const { h, res } = await create(schedule);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await h.request('GET', '/v1/jobs')).body.items).toEqual([]);
    const preview = await h.request('POST', '/v1/schedules/preview', { schedule });
    expect(preview.status).toBe(400);
    expect(preview.body.error.code).toBe(code);
  });
});
