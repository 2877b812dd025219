import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../lambdas/core/signing.js';
import { NotificationPayload } from '../../schemas/notification.js';
import { e2eRuntime } from '../support/runtime.js';
import { type SinkCall, waitFor } from '../support/sink.js';

describe('notifications, end to end', () => {
  const e2e = e2eRuntime({
    runtime: {
      notificationRetryBaseSeconds: 1,
      notificationMaxDeliveries: 3,
    },
    respond: (call) => {
      if (call.path.startsWith('/fail')) return { status: 500 };
      if (call.path === '/hooks/down') return { status: 503 };
      if (call.path === '/hooks/flaky') {
        const status = flakyAnswers.length === 0 ? 500 : 200;
        flakyAnswers.push(status);
        return { status };
      }
      if (call.path === '/hooks/slow') return { status: 200, delayMs: 1500 };
      if (call.path === '/ok/async') return { status: 202, body: '{"async":true}' };
      if (call.path === '/ok/hang') return { status: 200, delayMs: 8000 };
      if (call.path === '/ok/one-at-a-time') return { status: 200, delayMs: 2000 };
      return { status: 200 };
    },
  });
  const flakyAnswers: number[] = [];

  const createJob = async (path: string, notifications: unknown[], extra: Record<string, unknown> = {}) => {
    const res = await e2e.api('POST', '/v1/jobs', {
      name: `notify${path.replaceAll('/', '-')}`,
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}${path}` },
      retry: { maxAttempts: 1 },
      notifications,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string };
  };
  const trigger = async (jobId: string) =>
    (await e2e.api('POST', `/v1/jobs/${jobId}/trigger`)).body.executionId as string;
  const hooks = (path: string) => e2e.sink.calls.filter((c) => c.path === path);
  const payloadOf = (call: SinkCall) => NotificationPayload.parse(JSON.parse(call.body));

  it('posts signed notifications whose signature verifies with the tenant’s secret', async () => {
    const job = await createJob('/ok', [{ on: ['succeeded'], webhook: `${e2e.sink.url}/hooks/ok` }]);
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
        execution: `${e2e.runtime.url}/v1/executions/${encodeURIComponent(executionId)}`,
        job: `${e2e.runtime.url}/v1/jobs/${job.id}`,
      },
    });
    // The link is ready to follow.
    const linked = await e2e.api('GET', payloadOf(call!).links.execution.slice(e2e.runtime.url.length));
    expect(linked.status).toBe(200);
  });

  it('announces each failed attempt and the dead end', async () => {
    const job = await createJob(
      '/fail/dead',
      [{ on: ['failed', 'dead'], webhook: `${e2e.sink.url}/hooks/dead` }],
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
    const flaky = await createJob('/ok/flaky', [
      { on: ['succeeded'], webhook: `${e2e.sink.url}/hooks/flaky` },
    ]);
    const down = await createJob('/ok/down', [{ on: ['succeeded'], webhook: `${e2e.sink.url}/hooks/down` }]);
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
        const s = await e2e.runtime.stats();
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
    const job = await createJob('/ok/busy', [{ on: ['succeeded'], webhook: `${e2e.sink.url}/hooks/slow` }]);
    const sent: number[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(Date.now());
      await trigger(job.id);
      await waitFor(
        () => e2e.sink.calls.filter((c) => c.path === '/ok/busy').length === i + 1,
        2000,
        `run ${i + 1}`,
      );
    }
    const runs = e2e.sink.calls.filter((c) => c.path === '/ok/busy');
    const delays = runs.map((call, i) => call.at - sent[i]!);
    // The receiver holds every delivery 1.5 s; the runs do not wait for it.
    expect(Math.max(...delays)).toBeLessThan(500);
    await waitFor(() => hooks('/hooks/slow').length === 3, 10_000, 'the slow deliveries');
  });

  it('announces a cancel, whether an async target holds the run or its executor aborts the call', async () => {
    const hook = `${e2e.sink.url}/hooks/cancelled`;
    const held = await createJob('/ok/async', [{ on: ['cancelled'], webhook: hook }]);
    const hanging = await createJob('/ok/hang', [{ on: ['cancelled'], webhook: hook }]);
    const heldRun = await trigger(held.id);
    const hangingRun = await trigger(hanging.id);
    await waitFor(
      () => hooks('/ok/async').length === 1 && hooks('/ok/hang').length === 1,
      5000,
      'both calls',
    );
    for (const executionId of [heldRun, hangingRun]) {
      const res = await e2e.api('POST', `/v1/executions/${encodeURIComponent(executionId)}/cancel`);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    }
    const calls = await waitFor(
      () => hooks('/hooks/cancelled').length === 2 && hooks('/hooks/cancelled'),
      8000,
      'two',
    );
    const payloads = calls.map(payloadOf);
    expect(payloads.map((p) => [p.event, p.status, p.execution.id]).sort()).toEqual(
      [
        ['cancelled', 'cancelled', heldRun],
        ['cancelled', 'cancelled', hangingRun],
      ].sort(),
    );
  });

  it('announces a run that started later than the subscription’s threshold', async () => {
    // One at a time, the next one queued: the second trigger waits ~2 s for the first to finish.
    const job = await createJob(
      '/ok/one-at-a-time',
      [{ on: ['late'], webhook: `${e2e.sink.url}/hooks/late`, lateAfterSeconds: 1 }],
      { concurrency: { max: 1, overlap: 'queue' } },
    );
    const first = await trigger(job.id);
    await waitFor(() => hooks('/ok/one-at-a-time').length === 1, 5000, 'the first run');
    const second = await trigger(job.id);
    const [late] = await waitFor(
      () => hooks('/hooks/late').length > 0 && hooks('/hooks/late'),
      10_000,
      'late',
    );
    expect(payloadOf(late!)).toMatchObject({
      event: 'late',
      id: `${second}#late`,
      execution: { id: second },
    });
    expect(payloadOf(late!).execution.lateByMs).toBeGreaterThan(1000);
    expect(first).not.toBe(second);
  });

  it('sums up the runs a pause made the misfire policy drop in one `missed` notification', async () => {
    const job = await createJob(
      '/ok/every-second',
      [{ on: ['missed'], webhook: `${e2e.sink.url}/hooks/missed` }],
      {
        schedule: { type: 'rate', everySeconds: 1 },
        misfire: 'skip',
        misfireGraceSeconds: 1,
      },
    );
    expect((await e2e.api('POST', `/v1/jobs/${job.id}/pause`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3500)); // real time: the runs the pause misses must age past the grace
    expect((await e2e.api('POST', `/v1/jobs/${job.id}/resume`)).status).toBe(200);
    const [missed] = await waitFor(
      () => hooks('/hooks/missed').length > 0 && hooks('/hooks/missed'),
      5000,
      'missed',
    );
    await e2e.api('DELETE', `/v1/jobs/${job.id}`);
    const payload = payloadOf(missed!);
    const skipped = (await e2e.api('GET', `/v1/jobs/${job.id}/executions?status=skipped`)).body.items.filter(
      (e: { reason: string }) => e.reason.startsWith('missed (misfire policy skip)'),
    );
    expect(payload).toMatchObject({ event: 'missed', status: 'skipped', job: { id: job.id } });
    expect(payload.missed!.count).toBeGreaterThanOrEqual(2);
    expect(payload.missed!.count).toBeLessThanOrEqual(skipped.length);
    expect(skipped.map((e: { scheduledAt: string }) => e.scheduledAt)).toContain(
      payload.missed!.lastScheduledAt,
    );
  });

  it('writes a local email to the outbox as an .eml file', async () => {
    const job = await createJob('/ok/mail', [{ on: ['succeeded'], email: 'team@example.com' }]);
    const executionId = await trigger(job.id);
    const file = await waitFor(
      () => {
        try {
          return readdirSync(e2e.runtime.notifications.outbox).find((name) => name.endsWith('.eml'));
        } catch {
          return undefined;
        }
      },
      5000,
      'the .eml file',
    );
    const eml = readFileSync(join(e2e.runtime.notifications.outbox, file), 'utf8');
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
