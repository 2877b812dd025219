import { afterAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../lambdas/core/signing.js';
import { apiClient, e2eRuntime, OTHER_KEY, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type SinkCall, startSink, waitFor } from '../support/sink.js';

describe('local runtime, end to end', () => {
  const e2e = e2eRuntime();
  const lateness: Record<string, number[]> = { once: [], trigger: [], cron: [] };

  afterAll(async () => {
    process.stdout.write(`measured lateness (ms): ${JSON.stringify(lateness)}\n`);
  });

  it('answers health without a key', async () => {
    await e2e.runtime.recovered;
    const res = await apiClient(e2e.runtime.url, null)('GET', '/healthz');
    expect(res.status).toBe(200);
    // The local runtime adds its restart recovery (nothing to put back on a fresh data directory).
    expect(res.body).toEqual({
      status: 'ok',
      recovery: expect.objectContaining({ state: 'done', resent: 0 }),
    });
  });

  it('calls a once-job 3 s ahead exactly once, on time, with the contract headers', async () => {
    const at = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
    const created = await e2e.api('POST', '/v1/jobs', {
      name: 'once-3s',
      schedule: { type: 'once', at: at.toISOString() },
      target: {
        url: `${e2e.sink.url}/once`,
        method: 'POST',
        body: '{"hello":"world"}',
        headers: { 'x-team': 'data' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/jobs/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    const call = await waitFor(() => e2e.sink.calls.find((c) => c.path === '/once'), 8000, 'the once call');
    const late = call.at - at.getTime();
    lateness.once!.push(late);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(1000);
    const executionId = `${created.body.id}:${at.toISOString()}`;
    expect(call.headers['idempotency-key']).toBe(executionId);
    expect(call.headers['x-scheduler-execution-id']).toBe(executionId);
    expect(call.headers['x-scheduler-job-id']).toBe(created.body.id);
    expect(call.headers['x-scheduler-scheduled-at']).toBe(at.toISOString());
    expect(call.headers['x-scheduler-attempt']).toBe('1');
    expect(call.headers['x-team']).toBe('data');
    expect(call.body).toBe('{"hello":"world"}');
    expect(
      verifySignature(
        String(call.headers['x-scheduler-signature']),
        call.body,
        ['test-signing-secret'],
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);

    // Exactly once: nothing more arrives, and the job ends completed with one succeeded execution.
    const job = await waitFor(
      async () => {
        const res = await e2e.api('GET', `/v1/jobs/${created.body.id}`);
        return res.body.status === 'completed' ? res.body : undefined;
      },
      5000,
      'the job to complete',
    );
    expect(job.lastRun).toMatchObject({ executionId, status: 'succeeded' });
    await new Promise((r) => setTimeout(r, 500));
    expect(e2e.sink.calls.filter((c) => c.path === '/once')).toHaveLength(1);
    const history = await e2e.api('GET', `/v1/jobs/${created.body.id}/executions`);
    expect(history.body.items).toHaveLength(1);
    expect(history.body.items[0]).toMatchObject({ executionId, status: 'succeeded', trigger: 'schedule' });
    expect(history.body.items[0].attempts[0]).toMatchObject({
      attempt: 1,
      statusCode: 200,
      status: 'succeeded',
    });
    const one = await e2e.api('GET', `/v1/executions/${encodeURIComponent(executionId)}`);
    expect(one.status).toBe(200);
    expect(one.body.lateByMs).toBeLessThanOrEqual(1000);
  });

  it('reaches the target within 500 ms of a trigger', async () => {
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
      target: { url: `${e2e.sink.url}/trigger`, method: 'GET' },
    });
    expect(created.status).toBe(201);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = e2e.sink.calls.filter((c) => c.path === '/trigger').length;
      const sent = Date.now();
      const res = await e2e.api('POST', `/v1/jobs/${created.body.id}/trigger`);
      expect(res.status).toBe(202);
      expect(res.body.executionId).toMatch(new RegExp(`^${created.body.id}:`));
      const call = await waitFor(
        () => e2e.sink.calls.filter((c) => c.path === '/trigger')[before],
        3000,
        'the triggered call',
      );
      samples.push(call.at - sent);
      expect(call.headers['idempotency-key']).toBe(res.body.executionId);
    }
    lateness.trigger = samples;
    // Target: within 500 ms (measured and printed; 29–280 ms on a quiet 2-core machine). The bound
    // is looser so a loaded CI machine does not fail on noise; a broken fast path waits for the
    // next watcher tick (60 s here), far past it.
    expect(Math.max(...samples)).toBeLessThan(2000);
    const executions = await waitFor(
      async () => {
        const res = await e2e.api('GET', `/v1/jobs/${created.body.id}/executions?status=succeeded`);
        return res.body.items.length === 5 ? res.body.items : undefined;
      },
      3000,
      'five succeeded manual executions',
    );
    expect(executions.every((e: { trigger: string }) => e.trigger === 'manual')).toBe(true);
  });

  it('fires an every-second cron job each second with distinct keys, and stops after DELETE', async () => {
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
      target: { url: `${e2e.sink.url}/every-second`, method: 'POST' },
    });
    expect(created.status).toBe(201);
    const calls = () => e2e.sink.calls.filter((c) => c.path === '/every-second');
    await waitFor(() => calls().length >= 4, 7000, 'four calls');
    const deleted = await e2e.api('DELETE', `/v1/jobs/${created.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.status).toBe('cancelled');
    expect(deleted.body.nextRunAt).toBeNull();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2500));

    const seen = calls();
    const keys = seen.map((c) => String(c.headers['idempotency-key']));
    expect(new Set(keys).size).toBe(keys.length);
    const scheduled = seen.map((c) => Date.parse(String(c.headers['x-scheduler-scheduled-at'])));
    for (let i = 1; i < scheduled.length; i++) expect(scheduled[i]! - scheduled[i - 1]!).toBe(1000);
    for (const c of seen) {
      const late = c.at - Date.parse(String(c.headers['x-scheduler-scheduled-at']));
      lateness.cron!.push(late);
      expect(late).toBeLessThanOrEqual(1000);
    }
    // At most the run that was already starting when DELETE answered may arrive after it.
    expect(seen.filter((c) => c.at > stoppedAt + 50).length).toBe(0);
    const again = await e2e.api('DELETE', `/v1/jobs/${created.body.id}`);
    expect(again.status).toBe(200);
  });

  it('refuses bad input with field paths and changes nothing', async () => {
    const before = await e2e.api('GET', '/v1/jobs?limit=100');
    const bad = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: 'not a cron' },
      target: { url: 'ftp://example.com/x' },
      timeoutSeconds: 0,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_error');
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['target.url', 'timeoutSeconds']));
    const badCron = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '61 * * * *' },
      target: { url: `${e2e.sink.url}/x` },
    });
    expect(badCron.status).toBe(400);
    expect(badCron.body.error.code).toBe('invalid_schedule');
    const badJson = await e2e.api('POST', '/v1/jobs', '{"schedule":');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('invalid_json');
    const unknownField = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: { url: `${e2e.sink.url}/x` },
      bogus: 1,
    });
    expect(unknownField.status).toBe(400);
    const after = await e2e.api('GET', '/v1/jobs?limit=100');
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('keeps tenants apart and requires a key', async () => {
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}/private` },
    });
    const other = apiClient(e2e.runtime.url, OTHER_KEY);
    expect((await other('GET', `/v1/jobs/${created.body.id}`)).status).toBe(404);
    expect((await other('DELETE', `/v1/jobs/${created.body.id}`)).status).toBe(404);
    expect((await other('POST', `/v1/jobs/${created.body.id}/trigger`)).status).toBe(404);
    expect((await other('GET', '/v1/jobs')).body.items.map((j: { id: string }) => j.id)).not.toContain(
      created.body.id,
    );
    expect((await apiClient(e2e.runtime.url, null)('GET', '/v1/jobs')).status).toBe(401);
    expect((await apiClient(e2e.runtime.url, 'wrong')('GET', '/v1/jobs')).status).toBe(401);
  });

  it('paginates job lists with opaque cursors', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await e2e.api('POST', '/v1/jobs', {
        name: `page-${i}`,
        schedule: { type: 'cron', expression: '0 0 1 1 *' },
        target: { url: `${e2e.sink.url}/page` },
      });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/jobs?limit=2&name=page-${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await e2e.api('GET', query);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((j: { id: string }) => j.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(ids.sort());
    expect((await e2e.api('GET', '/v1/jobs?cursor=garbage')).status).toBe(400);
    expect((await e2e.api('GET', '/v1/jobs?limit=500')).status).toBe(400);
  });

  it('previews schedules without creating a job', async () => {
    const res = await e2e.api('POST', '/v1/schedules/preview', {
      schedule: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' },
      from: '2026-03-07T00:00:00.000Z',
      count: 3,
    });
    expect(res.status).toBe(200);
    expect(res.body.runs).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  // Issue 20 item 1: a run queued under a plan that a PATCH of the schedule replaced does not fire
  // and leaves no execution; a PATCH of anything else leaves the queued runs alone.
  const callsTo = (path: string) => e2e.sink.calls.filter((c) => c.path === path);
  const scheduledAt = (call: SinkCall) => Date.parse(String(call.headers['x-scheduler-scheduled-at']));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('calls a once-job whose `at` moved only at the new instant', async () => {
    const first = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
    const moved = new Date(first.getTime() + 3000);
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'once', at: first.toISOString() },
      target: { url: `${e2e.sink.url}/moved-once` },
    });
    expect(created.status).toBe(201);
    const patched = await e2e.api('PATCH', `/v1/jobs/${created.body.id}`, {
      schedule: { type: 'once', at: moved.toISOString() },
    });
    expect(patched.status).toBe(200);
    await waitFor(() => callsTo('/moved-once').length > 0, 10_000, 'the moved call');
    await sleep(800);
    expect(callsTo('/moved-once').map((c) => new Date(scheduledAt(c)).toISOString())).toEqual([
      moved.toISOString(),
    ]);
    expect(callsTo('/moved-once')[0]!.at).toBeGreaterThanOrEqual(moved.getTime());
    const history = await e2e.api('GET', `/v1/jobs/${created.body.id}/executions`);
    expect(history.body.items.map((e: { scheduledAt: string }) => e.scheduledAt)).toEqual([
      moved.toISOString(),
    ]);
  });

  it('stops the queued every-second runs of a cron PATCHed to a yearly one, and records none of them', async () => {
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
      target: { url: `${e2e.sink.url}/patched-to-yearly` },
    });
    expect(created.status).toBe(201);
    await waitFor(() => callsTo('/patched-to-yearly').length >= 2, 6000, 'two calls');
    const patched = await e2e.api('PATCH', `/v1/jobs/${created.body.id}`, {
      schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
    });
    expect(patched.status).toBe(200);
    const changedAt = Date.now();
    await sleep(3000);
    // A run already claimed when the PATCH answered may still start (its residual sleep is < 1 s).
    const late = callsTo('/patched-to-yearly').filter((c) => scheduledAt(c) > changedAt + 1000);
    expect(late).toEqual([]);
    const history = await e2e.api('GET', `/v1/jobs/${created.body.id}/executions?limit=100`);
    const recorded = history.body.items.map((e: { scheduledAt: string }) => Date.parse(e.scheduledAt));
    expect(recorded.filter((t: number) => t > changedAt + 1000)).toEqual([]);
    expect(recorded.length).toBe(callsTo('/patched-to-yearly').length);
  });

  it('keeps the queued runs of a job whose name changed', async () => {
    const created = await e2e.api('POST', '/v1/jobs', {
      name: 'before',
      schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
      target: { url: `${e2e.sink.url}/renamed` },
    });
    await waitFor(() => callsTo('/renamed').length >= 1, 6000, 'a first call');
    const patched = await e2e.api('PATCH', `/v1/jobs/${created.body.id}`, { name: 'after' });
    expect(patched.body).toMatchObject({ name: 'after', version: 2 });
    const renamedAt = Date.now();
    await waitFor(
      () => callsTo('/renamed').filter((c) => c.at > renamedAt + 1000).length >= 2,
      6000,
      'calls after the rename',
    );
    expect((await e2e.api('DELETE', `/v1/jobs/${created.body.id}`)).status).toBe(200);
  });
});

describe('local runtime restart', () => {
  it('runs a queued once-job after a restart that lost the queue', async () => {
    const data = tempDataDir();
    const sink = await startSink();
    try {
      let runtime = await startTestRuntime(data.dir);
      const at = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
      const created = await apiClient(runtime.url)('POST', '/v1/jobs', {
        schedule: { type: 'once', at: at.toISOString() },
        target: { url: `${sink.url}/after-restart` },
      });
      expect(created.status).toBe(201);
      await runtime.stop(); // the run was on the in-memory queue only
      runtime = await startTestRuntime(data.dir);
      try {
        // The journal of the queues: the one message on them at the stop is sent again.
        expect(await runtime.recovered).toMatchObject({ state: 'done', via: 'queue journal', resent: 1 });
        const call = await waitFor(
          () => sink.calls.find((c) => c.path === '/after-restart'),
          8000,
          'the recovered call',
        );
        expect(call.headers['idempotency-key']).toBe(`${created.body.id}:${at.toISOString()}`);
        await new Promise((r) => setTimeout(r, 500));
        expect(sink.calls.filter((c) => c.path === '/after-restart')).toHaveLength(1);
      } finally {
        await runtime.stop();
      }
    } finally {
      await sink.close();
      data.remove();
    }
  });
});
