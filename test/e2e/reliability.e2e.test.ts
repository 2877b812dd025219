import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { startSchedulerProcess } from '../support/process.js';
import { API_KEY, apiClient, e2eRuntime, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type SinkCall, startSink, waitFor } from '../support/sink.js';

const soon = (ms = 1500) => new Date(Date.now() + ms).toISOString();

describe('reliability, end to end', () => {
  const e2e = e2eRuntime({ respond: (call) => behaviours.get(call.path)?.(call) ?? { status: 200 } });
  const behaviours = new Map<
    string,
    (call: SinkCall) => { status: number; delayMs?: number; body?: string }
  >();

  const callsTo = (path: string) => e2e.sink.calls.filter((c) => c.path === path);
  const execution = async (id: string) =>
    (await e2e.api('GET', `/v1/executions/${encodeURIComponent(id)}`)).body;

  it('runs a long-running target through heartbeat and complete callbacks', async () => {
    behaviours.set('/async', () => ({ status: 202, body: '{"async":true}' }));
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: { url: `${e2e.sink.url}/async` },
    });
    const call = await waitFor(() => callsTo('/async')[0], 5000, 'the async call');
    const id = String(call.headers['x-scheduler-execution-id']);
    const token = String(call.headers['x-scheduler-callback-token']);
    expect(call.headers['x-scheduler-heartbeat-url']).toBe(
      `${e2e.runtime.url}/v1/executions/${encodeURIComponent(id)}/heartbeat`,
    );
    await waitFor(
      async () => (await execution(id)).status === 'running' && (await execution(id)).attempts.length === 1,
      3000,
      'running',
    );

    const callback = apiClient(e2e.runtime.url, null);
    const beat = await callback('POST', `/v1/executions/${encodeURIComponent(id)}/heartbeat`, undefined, {
      'x-scheduler-callback-token': token,
    });
    expect(beat.status).toBe(200);
    expect(Date.parse(beat.body.leaseUntil)).toBeGreaterThan(Date.now());
    const wrong = await callback('POST', `/v1/executions/${encodeURIComponent(id)}/heartbeat`, undefined, {
      'x-scheduler-callback-token': 'guess',
    });
    expect(wrong.status).toBe(401);
    const done = await callback(
      'POST',
      `/v1/executions/${encodeURIComponent(id)}/complete`,
      { status: 'succeeded' },
      {
        authorization: `Bearer ${token}`,
      },
    );
    expect(done.status).toBe(200);
    expect(await execution(id)).toMatchObject({
      status: 'succeeded',
      attempts: [{ statusCode: 202, status: 'succeeded' }],
    });
    expect((await e2e.api('GET', `/v1/jobs/${created.body.id}`)).body.status).toBe('completed');
  });

  it('answers a heartbeat after a cancel with 409 {"cancelled":true}', async () => {
    behaviours.set('/async-cancel', () => ({ status: 202, body: '{"async":true}' }));
    await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: { url: `${e2e.sink.url}/async-cancel` },
    });
    const call = await waitFor(() => callsTo('/async-cancel')[0], 5000, 'the async call');
    const id = String(call.headers['x-scheduler-execution-id']);
    await waitFor(async () => (await execution(id)).attempts.length === 1, 3000, 'the async attempt');
    const cancelled = await e2e.api('POST', `/v1/executions/${encodeURIComponent(id)}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const beat = await apiClient(e2e.runtime.url, null)(
      'POST',
      `/v1/executions/${encodeURIComponent(id)}/heartbeat`,
      undefined,
      {
        'x-scheduler-callback-token': String(call.headers['x-scheduler-callback-token']),
      },
    );
    expect(beat.status).toBe(409);
    expect(beat.body).toEqual({ cancelled: true });
  });

  it('aborts a running HTTP call when its execution is cancelled', async () => {
    behaviours.set('/slow', () => ({ status: 200, delayMs: 20_000 }));
    await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: { url: `${e2e.sink.url}/slow` },
      timeoutSeconds: 60,
    });
    const call = await waitFor(() => callsTo('/slow')[0], 5000, 'the slow call');
    const id = String(call.headers['x-scheduler-execution-id']);
    const asked = Date.now();
    const res = await e2e.api('POST', `/v1/executions/${encodeURIComponent(id)}/cancel`);
    expect(res.status).toBe(200);
    const final = await waitFor(
      async () => {
        const e = await execution(id);
        return e.status === 'cancelled' ? e : undefined;
      },
      4000,
      'the cancel to land',
    );
    expect(Date.now() - asked).toBeLessThan(3000);
    expect(final.attempts[0]).toMatchObject({ status: 'cancelled' });
    expect((await e2e.api('POST', `/v1/executions/${encodeURIComponent(id)}/cancel`)).status).toBe(409);
  });

  it('retries with backoff, dead-letters the exhausted run and replays it', async () => {
    let healthy = false;
    behaviours.set('/flaky', () => ({ status: healthy ? 200 : 503 }));
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'once', at: soon(500) },
      target: { url: `${e2e.sink.url}/flaky` },
      retry: { maxAttempts: 3, initialDelaySeconds: 0.2, maxDelaySeconds: 1, jitter: 'none' },
    });
    const dead = await waitFor(
      async () => {
        const res = await e2e.api('GET', '/v1/dead-letters');
        return res.body.items.find((e: { jobId: string }) => e.jobId === created.body.id);
      },
      8000,
      'the dead letter',
    );
    expect(dead.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 503, 503]);
    const gaps = callsTo('/flaky').map((c, i, all) => (i ? c.at - all[i - 1]!.at : 0));
    expect(gaps[1]).toBeGreaterThanOrEqual(150);
    expect(gaps[2]).toBeGreaterThanOrEqual(350);
    // The job's own status is written just after the execution's: wait for it rather than race it.
    await waitFor(
      async () =>
        (await e2e.api('GET', `/v1/jobs/${created.body.id}`)).body.status === 'failed' ? true : undefined,
      5000,
      'the one-time job to end failed',
    );

    healthy = true;
    const replay = await e2e.api('POST', `/v1/dead-letters/${encodeURIComponent(dead.executionId)}/replay`);
    expect(replay.status).toBe(202);
    const replayed = await waitFor(
      async () => {
        const e = await execution(dead.executionId);
        return e.status === 'succeeded' ? e : undefined;
      },
      5000,
      'the replay',
    );
    expect(replayed.attempts).toHaveLength(4);
    expect(callsTo('/flaky').at(-1)?.headers['x-scheduler-attempt']).toBe('4');
    expect(
      (await e2e.api('GET', '/v1/dead-letters')).body.items.map(
        (e: { executionId: string }) => e.executionId,
      ),
    ).not.toContain(dead.executionId);
  });
});

describe('a scheduler process killed mid-call', () => {
  it('retries the run after restart on the same data directory: none lost, one completion', async () => {
    const data = tempDataDir();
    const sink = await startSink();
    let hang = true;
    sink.respond(() => (hang ? { status: 200, delayMs: 60_000 } : { status: 200 }));
    const env = {
      SCHEDULER_DATA_DIR: data.dir,
      SCHEDULER_API_KEYS: `${API_KEY}:team-a`,
      SCHEDULER_WATCH_INTERVAL_SECONDS: '1',
      SCHEDULER_LEASE_MARGIN_SECONDS: '1',
      SCHEDULER_SHARDS: '2',
    };
    let proc = await startSchedulerProcess(env);
    try {
      const at = soon(1000);
      const created = await apiClient(proc.url)('POST', '/v1/jobs', {
        schedule: { type: 'once', at },
        target: { url: `${sink.url}/killed` },
        timeoutSeconds: 2,
        retry: { maxAttempts: 3, initialDelaySeconds: 0, maxDelaySeconds: 0, jitter: 'none' },
      });
      expect(created.status).toBe(201);
      await waitFor(() => sink.calls.length === 1, 5000, 'the first call');
      proc.child.kill('SIGKILL');
      expect(await proc.exited).toBe('SIGKILL');
      hang = false;

      proc = await startSchedulerProcess(env);
      const id = `${created.body.id}:${at}`;
      const final = await waitFor(
        async () => {
          const e = (await apiClient(proc.url)('GET', `/v1/executions/${encodeURIComponent(id)}`)).body;
          return e?.status === 'succeeded' ? e : undefined;
        },
        30_000,
        'the retried run to succeed',
      );
      expect(final.attempts.map((a: { status: string }) => a.status)).toEqual(['failed', 'succeeded']);
      expect(final.attempts[0].error).toMatch(/lease expired/);
      expect(sink.calls.map((c) => c.headers['idempotency-key'])).toEqual([id, id]);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      await sink.close();
      data.remove();
    }
    // Two process starts and a lease expiry: on a loaded 2-core machine that can pass 30 s.
  }, 90_000);
});

describe('a run message that cannot be parsed', () => {
  it('is counted and lands in the dead-letter queue after five receives, not dropped', async () => {
    const data = tempDataDir();
    const runtime = await startTestRuntime(data.dir);
    try {
      await runtime.queues.client.send(
        new SendMessageCommand({ QueueUrl: runtime.queues.urls.normal, MessageBody: '{"not":"a run"}' }),
      );
      const stats = await waitFor(
        async () => {
          const s = await runtime.stats();
          return s.deadLetterQueues.normal === 1 ? s : undefined;
        },
        10_000,
        'the message to reach the DLQ',
      );
      expect(stats.outcomes.unparseable).toBe(5);
    } finally {
      await runtime.stop();
      data.remove();
    }
  });
});
