import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../lambdas/core/signing.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { NotificationPayload } from '../../schemas/notification.js';
import { apiClient, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type Sink, type SinkCall, startSink, waitFor } from '../support/sink.js';

describe('notifications, end to end', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime;
  let sink: Sink;
  let api: ReturnType<typeof apiClient>;
  const flakyAnswers: number[] = [];

  beforeAll(async () => {
    sink = await startSink();
    sink.respond((call) => {
      if (call.path.startsWith('/fail')) return { status: 500 };
      if (call.path === '/hooks/down') return { status: 503 };
      if (call.path === '/hooks/flaky') {
        const status = flakyAnswers.length === 0 ? 500 : 200;
        flakyAnswers.push(status);
        return { status };
      }
      if (call.path === '/hooks/slow') return { status: 200, delayMs: 1500 };
      return { status: 200 };
    });
    runtime = await startTestRuntime(data.dir, {
      notificationRetryBaseSeconds: 1,
      notificationMaxDeliveries: 3,
    });
    api = apiClient(runtime.url);
  });

  afterAll(async () => {
    await runtime?.stop();
    await sink?.close();
    data.remove();
  });

  const createJob = async (path: string, notifications: unknown[], extra: Record<string, unknown> = {}) => {
    const res = await api('POST', '/v1/jobs', {
      name: `notify${path.replaceAll('/', '-')}`,
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${sink.url}${path}` },
      retry: { maxAttempts: 1 },
      notifications,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string };
  };
  const trigger = async (jobId: string) =>
    (await api('POST', `/v1/jobs/${jobId}/trigger`)).body.executionId as string;
  const hooks = (path: string) => sink.calls.filter((c) => c.path === path);
  const payloadOf = (call: SinkCall) => NotificationPayload.parse(JSON.parse(call.body));

  it('posts signed notifications whose signature verifies with the tenant’s secret', async () => {
    const job = await createJob('/ok', [{ on: ['succeeded'], webhook: `${sink.url}/hooks/ok` }]);
    const executionId = await trigger(job.id);
    const [call] = await waitFor(
      () => hooks('/hooks/ok').length > 0 && hooks('/hooks/ok'),
      5000,
      'the webhook',
    );
    expect(call!.method).toBe('POST');
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.headers['x-scheduler-event']).toBe('succeeded');
    expect(call!.headers['x-scheduler-notification-id']).toBe(`${executionId}#succeeded`);
    const signature = String(call!.headers['x-scheduler-signature']);
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(verifySignature(signature, call!.body, ['test-signing-secret'], nowSeconds)).toBe(true);
    expect(verifySignature(signature, call!.body, ['another-secret'], nowSeconds)).toBe(false);
    expect(payloadOf(call!)).toMatchObject({
      id: `${executionId}#succeeded`,
      event: 'succeeded',
      job: { id: job.id, name: 'notify-ok' },
      execution: { id: executionId, trigger: 'manual' },
      status: 'succeeded',
      attempts: 1,
      error: null,
      links: {
        execution: `${runtime.url}/v1/executions/${encodeURIComponent(executionId)}`,
        job: `${runtime.url}/v1/jobs/${job.id}`,
      },
    });
    // The link is ready to follow.
    const linked = await api('GET', payloadOf(call!).links.execution.slice(runtime.url.length));
    expect(linked.status).toBe(200);
  });

  it('announces each failed attempt and the dead end', async () => {
    const job = await createJob(
      '/fail/dead',
      [{ on: ['failed', 'dead'], webhook: `${sink.url}/hooks/dead` }],
      {
        retry: { maxAttempts: 2, initialDelaySeconds: 0, maxDelaySeconds: 0 },
      },
    );
    const executionId = await trigger(job.id);
    const calls = await waitFor(
      () => hooks('/hooks/dead').length >= 3 && hooks('/hooks/dead'),
      8000,
      'three',
    );
    const payloads = calls.map(payloadOf).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(payloads.map((p) => [p.id, p.event, p.attempts, p.error])).toEqual([
      [`${executionId}#dead`, 'dead', 2, 'HTTP 500'],
      [`${executionId}#failed#1`, 'failed', 1, 'HTTP 500'],
      [`${executionId}#failed#2`, 'failed', 2, 'HTTP 500'],
    ]);
  });

  it('retries a failing receiver with backoff, and dead-letters what never gets through', async () => {
    const flaky = await createJob('/ok/flaky', [{ on: ['succeeded'], webhook: `${sink.url}/hooks/flaky` }]);
    const down = await createJob('/ok/down', [{ on: ['succeeded'], webhook: `${sink.url}/hooks/down` }]);
    await trigger(flaky.id);
    await trigger(down.id);
    const calls = await waitFor(
      () => hooks('/hooks/flaky').length >= 2 && hooks('/hooks/flaky'),
      8000,
      'retry',
    );
    expect(calls.map((c) => c.headers['x-scheduler-delivery-attempt'])).toEqual(['1', '2']);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(900);
    expect(calls[0]!.body).toBe(calls[1]!.body);
    const stats = await waitFor(
      async () => {
        const s = await runtime.stats();
        return s.deadLetterQueues.notifications === 1 ? s : undefined;
      },
      15_000,
      'the notification in the DLQ',
    );
    expect(stats.deadLetterQueues.notifications).toBe(1);
    expect(hooks('/hooks/down').map((c) => c.headers['x-scheduler-delivery-attempt'])).toEqual([
      '1',
      '2',
      '3',
    ]);
  });

  it('never lets a slow receiver delay executions', async () => {
    const job = await createJob('/ok/busy', [{ on: ['succeeded'], webhook: `${sink.url}/hooks/slow` }]);
    const sent: number[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(Date.now());
      await trigger(job.id);
      await waitFor(
        () => sink.calls.filter((c) => c.path === '/ok/busy').length === i + 1,
        2000,
        `run ${i + 1}`,
      );
    }
    const runs = sink.calls.filter((c) => c.path === '/ok/busy');
    const delays = runs.map((call, i) => call.at - sent[i]!);
    // The receiver holds every delivery 1.5 s; the runs do not wait for it.
    expect(Math.max(...delays)).toBeLessThan(500);
    await waitFor(() => hooks('/hooks/slow').length === 3, 10_000, 'the slow deliveries');
  });

  it('writes a local email to the outbox as an .eml file', async () => {
    const job = await createJob('/ok/mail', [{ on: ['succeeded'], email: 'team@example.com' }]);
    const executionId = await trigger(job.id);
    const file = await waitFor(
      () => {
        try {
          return readdirSync(runtime.notifications.outbox).find((name) => name.endsWith('.eml'));
        } catch {
          return undefined;
        }
      },
      5000,
      'the .eml file',
    );
    const eml = readFileSync(join(runtime.notifications.outbox, file), 'utf8');
    const blank = eml.indexOf('\r\n\r\n');
    const [head, body] = [eml.slice(0, blank), eml.slice(blank + 4)];
    expect(head).toContain('From: scheduler@localhost');
    expect(head).toContain('To: team@example.com');
    expect(head).toContain('Subject: [scheduler] notify-ok-mail: succeeded');
    expect(head).toMatch(/^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/m);
    expect(head).toMatch(/^Message-ID: <[0-9a-f]+@scheduler\.local>$/m);
    expect(head).toContain('Content-Type: text/plain; charset=utf-8');
    expect(body).toContain(`Execution:  ${executionId}`);
    expect(body).toContain('"event": "succeeded"');
  });
});
