import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type Sink, type SinkCall, startSink, waitFor } from '../support/sink.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scheduledAt = (call: SinkCall) => Date.parse(String(call.headers['x-scheduler-scheduled-at']));

/**
 * Issue 20 item 1: a run queued under a plan that a PATCH of the schedule replaced does not fire,
 * and leaves no execution behind; a PATCH of anything else leaves the queued runs alone.
 */
describe('local runtime: runs of a superseded schedule', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime;
  let sink: Sink;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    sink = await startSink();
    runtime = await startTestRuntime(data.dir);
    api = apiClient(runtime.url);
  });

  afterAll(async () => {
    await runtime?.stop();
    await sink?.close();
    data.remove();
  });

  const callsTo = (path: string) => sink.calls.filter((c) => c.path === path);

  it('calls a once-job whose `at` moved only at the new instant', async () => {
    const first = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
    const moved = new Date(first.getTime() + 3000);
    const created = await api('POST', '/v1/jobs', {
      schedule: { type: 'once', at: first.toISOString() },
      target: { url: `${sink.url}/moved-once` },
    });
    expect(created.status).toBe(201);
    const patched = await api('PATCH', `/v1/jobs/${created.body.id}`, {
      schedule: { type: 'once', at: moved.toISOString() },
    });
    expect(patched.status).toBe(200);
    await waitFor(() => callsTo('/moved-once').length > 0, 10_000, 'the moved call');
    await sleep(800);
    expect(callsTo('/moved-once').map((c) => new Date(scheduledAt(c)).toISOString())).toEqual([
      moved.toISOString(),
    ]);
    expect(callsTo('/moved-once')[0]!.at).toBeGreaterThanOrEqual(moved.getTime());
    const history = await api('GET', `/v1/jobs/${created.body.id}/executions`);
    expect(history.body.items.map((e: { scheduledAt: string }) => e.scheduledAt)).toEqual([
      moved.toISOString(),
    ]);
  });

  it('stops the queued every-second runs of a cron PATCHed to a yearly one, and records none of them', async () => {
    const created = await api('POST', '/v1/jobs', {
      schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
      target: { url: `${sink.url}/every-second` },
    });
    expect(created.status).toBe(201);
    await waitFor(() => callsTo('/every-second').length >= 2, 6000, 'two calls');
    const patched = await api('PATCH', `/v1/jobs/${created.body.id}`, {
      schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
    });
    expect(patched.status).toBe(200);
    const changedAt = Date.now();
    await sleep(3000);
    // A run already claimed when the PATCH answered may still start (its residual sleep is < 1 s).
    const late = callsTo('/every-second').filter((c) => scheduledAt(c) > changedAt + 1000);
    expect(late).toEqual([]);
    const history = await api('GET', `/v1/jobs/${created.body.id}/executions?limit=100`);
    const recorded = history.body.items.map((e: { scheduledAt: string }) => Date.parse(e.scheduledAt));
    expect(recorded.filter((t: number) => t > changedAt + 1000)).toEqual([]);
    expect(recorded.length).toBe(callsTo('/every-second').length);
  });

  it('keeps the queued runs of a job whose name changed', async () => {
    const created = await api('POST', '/v1/jobs', {
      name: 'before',
      schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
      target: { url: `${sink.url}/renamed` },
    });
    await waitFor(() => callsTo('/renamed').length >= 1, 6000, 'a first call');
    const patched = await api('PATCH', `/v1/jobs/${created.body.id}`, { name: 'after' });
    expect(patched.body).toMatchObject({ name: 'after', version: 2 });
    const renamedAt = Date.now();
    await waitFor(
      () => callsTo('/renamed').filter((c) => c.at > renamedAt + 1000).length >= 2,
      6000,
      'calls after the rename',
    );
    expect((await api('DELETE', `/v1/jobs/${created.body.id}`)).status).toBe(200);
  });
});
