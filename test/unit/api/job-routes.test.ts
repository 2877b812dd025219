import { describe, expect, it, vi } from 'vitest';
import { apiHarness, countJobs, cronSchedule } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

const target = { url: 'https://example.com/hook' };

async function withJob(extra: Record<string, unknown> = {}) {
  const h = apiHarness(NOW);
  const created = await h.request('POST', '/v1/jobs', {
    schedule: cronSchedule('0 15 * * *'),
    target,
    ...extra,
  });
  expect(created.status).toBe(201);
  return { h, id: created.body.id as string, created };
}

describe('API: bad input changes nothing', () => {
  const refusals: [string, Record<string, unknown>, number, string, string][] = [
    [
      'an invalid cron expression',
      { schedule: cronSchedule('61 * * * *') },
      400,
      'invalid_schedule',
      'schedule.expression',
    ],
    [
      'an unknown timezone',
      { schedule: cronSchedule('0 9 * * *', { timezone: 'Europe/Atlantis' }) },
      400,
      'invalid_schedule',
      'schedule.timezone',
    ],
    [
      'endAt before startAt',
      {
        schedule: cronSchedule('0 9 * * *', {
          startAt: '2026-06-01T00:00:00.000Z',
          endAt: '2026-05-15T00:00:00.000Z',
        }),
      },
      400,
      'invalid_schedule',
      'schedule.endAt',
    ],
    [
      'an `at` more than 10 years ahead',
      { schedule: { type: 'once', at: '2036-06-01T00:00:00.000Z' } },
      400,
      'invalid_schedule',
      'schedule.at',
    ],
    [
      'a rate below 1 s',
      { schedule: { type: 'rate', everySeconds: 0.5 } },
      400,
      'validation_error',
      'schedule.everySeconds',
    ],
    ['a rate of 0 s', { schedule: { type: 'rate', everySeconds: 0 } }, 400, 'validation_error', 'schedule'],
  ];
  for (const [what, body, status, code, mentions] of refusals) {
    it(`refuses ${what} on create (${status} ${code}) and stores no job`, async () => {
      const h = apiHarness(NOW);
      const res = await h.request('POST', '/v1/jobs', { target, ...body });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      const named = [
        res.body.error.message,
        ...(res.body.error.details ?? []).map((d: { path: string }) => d.path),
      ];
      expect(named.join(' ')).toContain(mentions);
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
      expect(await countJobs(h)).toBe(0);
      expect(h.queue.sent).toEqual([]);
    });

    it(`refuses ${what} on PATCH (${status} ${code}) and leaves the job as it was`, async () => {
      const { h, id, created } = await withJob();
      const res = await h.request('PATCH', `/v1/jobs/${id}`, body);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      const after = await h.request('GET', `/v1/jobs/${id}`);
      expect(after.body).toEqual(created.body);
    });
  }

  it('refuses a PATCH of a cancelled job with 409 and changes nothing', async () => {
    const { h, id } = await withJob();
    const cancelled = await h.request('DELETE', `/v1/jobs/${id}`);
    const res = await h.request('PATCH', `/v1/jobs/${id}`, { name: 'revived' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict' });
    expect(res.body.error.message).toContain('cancelled');
    expect((await h.request('GET', `/v1/jobs/${id}`)).body).toEqual(cancelled.body);
  });

  it('refuses unknown fields, an empty change and a non-JSON body', async () => {
    const { h, id, created } = await withJob();
    const unknown = await h.request('PATCH', `/v1/jobs/${id}`, { status: 'active' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('validation_error');
    const empty = await h.request('PATCH', `/v1/jobs/${id}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('at least one field');
    const garbage = await h.request('PATCH', `/v1/jobs/${id}`, '{not json');
    expect(garbage.status).toBe(400);
    expect((await h.request('GET', `/v1/jobs/${id}`)).body).toEqual(created.body);
  });

  it('refuses a PATCH that points the target at a private address', async () => {
    const { h, id, created } = await withJob();
    const res = await h.request('PATCH', `/v1/jobs/${id}`, { target: { url: 'http://10.0.0.8/hook' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('target_not_allowed');
    expect((await h.request('GET', `/v1/jobs/${id}`)).body).toEqual(created.body);
  });

  it('answers 404 for another tenant’s job on PATCH, pause and resume', async () => {
    const { h, id } = await withJob();
    for (const [method, path] of [
      ['PATCH', `/v1/jobs/${id}`],
      ['POST', `/v1/jobs/${id}/pause`],
      ['POST', `/v1/jobs/${id}/resume`],
    ] as const) {
      const res = await h.request(method, path, method === 'PATCH' ? { name: 'x' } : undefined, {}, 'team-b');
      expect(res.status).toBe(404);
    }
  });
});

describe('API: PATCH /v1/jobs/{id}', () => {
  it('returns the changed job with the bumped version as ETag, and a new nextRunAt for a new schedule', async () => {
    const { h, id } = await withJob();
    h.clock.current = Date.parse('2026-05-01T12:30:00.000Z');
    const res = await h.request('PATCH', `/v1/jobs/${id}`, {
      name: 'renamed',
      schedule: cronSchedule('0 9 * * *', { timezone: 'America/New_York' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({
      name: 'renamed',
      version: 2,
      nextRunAt: '2026-05-01T13:00:00.000Z', // 09:00 EDT, later the same day
      updatedAt: '2026-05-01T12:30:00.000Z',
    });
  });

  it('applies If-Match: 412 precondition_failed on another version, 200 on the current one', async () => {
    const { h, id, created } = await withJob();
    const stale = await h.request('PATCH', `/v1/jobs/${id}`, { name: 'x' }, { 'if-match': '"5"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('precondition_failed');
    const garbage = await h.request('PATCH', `/v1/jobs/${id}`, { name: 'x' }, { 'if-match': '"abc"' });
    expect(garbage.status).toBe(412);
    expect((await h.request('GET', `/v1/jobs/${id}`)).body).toEqual(created.body);
    const fresh = await h.request(
      'PATCH',
      `/v1/jobs/${id}`,
      { name: 'x' },
      { 'if-match': created.headers.etag! },
    );
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe('"2"');
    const weak = await h.request('PATCH', `/v1/jobs/${id}`, { name: 'y' }, { 'if-match': 'W/"2", "9"' });
    expect(weak.status).toBe(200);
    const star = await h.request('PATCH', `/v1/jobs/${id}`, { name: 'z' }, { 'if-match': '*' });
    expect(star.body.version).toBe(4);
  });

  it('replaces the target whole: headers and body not sent again are gone, a *** header is kept', async () => {
    const { h, id } = await withJob({
      target: {
        url: 'https://example.com/v1',
        headers: { 'x-team': 'data', authorization: 'Bearer s3cret' },
        body: '{}',
      },
    });
    const read = await h.request('GET', `/v1/jobs/${id}`);
    expect(read.body.target.headers.authorization).toBe('***');
    const moved = await h.request('PATCH', `/v1/jobs/${id}`, {
      target: { url: 'https://example.com/v2', headers: { authorization: '***' } },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.target).toEqual({
      type: 'http',
      url: 'https://example.com/v2',
      method: 'POST',
      headers: { authorization: '***' },
    });
    expect((await h.jobs.getJob(id))?.target).toMatchObject({ headers: { authorization: 'Bearer s3cret' } });
  });

  it('clears name and concurrency with null', async () => {
    const { h, id } = await withJob({ name: 'n', concurrency: { max: 1 } });
    const res = await h.request('PATCH', `/v1/jobs/${id}`, { name: null, concurrency: null });
    expect(res.status).toBe(200);
    expect(res.body.name).toBeNull();
    expect(res.body.concurrency).toBeUndefined();
  });
});

describe('API: pause and resume', () => {
  it('pauses (nextRunAt null), repeats harmlessly, and resumes onto the schedule', async () => {
    const { h, id } = await withJob();
    const paused = await h.request('POST', `/v1/jobs/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', nextRunAt: null, version: 2 });
    expect(paused.headers.etag).toBe('"2"');
    const again = await h.request('POST', `/v1/jobs/${id}/pause`);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
    const listed = await h.request('GET', '/v1/jobs?status=paused');
    expect(listed.body.items.map((j: { id: string }) => j.id)).toEqual([id]);
    const triggered = await h.request('POST', `/v1/jobs/${id}/trigger`);
    expect(triggered.status).toBe(202);
    const resumed = await h.request('POST', `/v1/jobs/${id}/resume`);
    expect(resumed.body).toMatchObject({
      status: 'active',
      nextRunAt: '2026-05-01T15:00:00.000Z',
      version: 3,
    });
    const resumedAgain = await h.request('POST', `/v1/jobs/${id}/resume`);
    expect(resumedAgain.body.version).toBe(3);
  });

  it('cancels (DELETE) only at the version If-Match names, like PATCH, pause and resume', async () => {
    const { h, id, created } = await withJob();
    await h.request('PATCH', `/v1/jobs/${id}`, { name: 'moved-on' });
    const stale = await h.request('DELETE', `/v1/jobs/${id}`, undefined, {
      'if-match': created.headers.etag!,
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('precondition_failed');
    expect((await h.request('GET', `/v1/jobs/${id}`)).body).toMatchObject({ status: 'active', version: 2 });
    const fresh = await h.request('DELETE', `/v1/jobs/${id}`, undefined, { 'if-match': '"2"' });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ status: 'cancelled', version: 3 });
    // A repeat is 200 at the current tag, and 412 at the tag the first cancel was made on.
    expect((await h.request('DELETE', `/v1/jobs/${id}`, undefined, { 'if-match': '"3"' })).status).toBe(200);
    expect((await h.request('DELETE', `/v1/jobs/${id}`, undefined, { 'if-match': '"2"' })).status).toBe(412);
  });

  it('answers 409 for a cancelled job and 412 for a stale If-Match', async () => {
    const { h, id } = await withJob();
    const stale = await h.request('POST', `/v1/jobs/${id}/pause`, undefined, { 'if-match': '"3"' });
    expect(stale.status).toBe(412);
    await h.request('DELETE', `/v1/jobs/${id}`);
    for (const action of ['pause', 'resume']) {
      const res = await h.request('POST', `/v1/jobs/${id}/${action}`);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
    }
  });
});

describe('API: POST /v1/jobs', () => {
  it('answers the new job with no last run, without reading a history it cannot have yet', async () => {
    const h = apiHarness(NOW);
    const listByJob = vi.spyOn(h.deps.executions, 'listByJob');
    const created = await h.request('POST', '/v1/jobs', { schedule: cronSchedule('0 15 * * *'), target });
    expect(created.status).toBe(201);
    expect(created.body.lastRun).toBeNull();
    expect(created.body.nextRunAt).toBe('2026-05-01T15:00:00.000Z');
    expect(listByJob).not.toHaveBeenCalled();
    // Read back, the job's view does look for its last run.
    const read = await h.request('GET', `/v1/jobs/${created.body.id}`);
    expect(read.body).toEqual(created.body);
    expect(listByJob).toHaveBeenCalledTimes(1);
  });
});
