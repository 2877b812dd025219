import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, startTestRuntime, tempDataDir } from '../support/runtime.js';

interface HealthAnswer {
  status: string;
  recovery: { state: string; resent: number; startedAt: string; finishedAt?: string };
}

/** A journal of a last session that left `count` run messages queued, due in ten minutes. */
function leftQueued(dataDir: string, count: number, dueAt: number): void {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify(['s', `m-${i}`, 'run-low', dueAt, JSON.stringify({ left: i })]),
  );
  writeFileSync(join(dataDir, 'queue-journal.jsonl'), `${lines.join('\n')}\n`);
}

describe('restart recovery in the background', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime | undefined;
  afterAll(async () => {
    await runtime?.stop();
    data.remove();
  });

  it('answers GET /healthz at once while it puts the last session’s messages back, then says it is done', async () => {
    // Prepare: 20,000 messages left on the queues by a killed session.
    const count = 20_000;
    leftQueued(data.dir, count, Date.now() + 600_000);
    // Act
    runtime = await startTestRuntime(data.dir);
    const during = await fetch(`${runtime.url}/healthz`);
    const duringBody = (await during.json()) as HealthAnswer;
    const done = await runtime.recovered;
    const after = (await (await fetch(`${runtime.url}/healthz`)).json()) as HealthAnswer;
    // Assess
    expect(during.status).toBe(200);
    expect(duringBody).toMatchObject({ status: 'ok', recovery: { state: 'running', via: 'queue journal' } });
    expect(duringBody.recovery.resent).toBeLessThan(count);
    expect(done).toMatchObject({ state: 'done', toResend: count, resent: count });
    expect(after).toEqual({ status: 'ok', recovery: { ...done } });
    expect(Date.parse(after.recovery.finishedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(after.recovery.startedAt),
    );
    const queue = await runtime.queues.client.send(
      new GetQueueAttributesCommand({ QueueUrl: runtime.queues.urls.low, AttributeNames: ['All'] }),
    );
    expect(Number(queue.Attributes?.ApproximateNumberOfMessagesDelayed)).toBe(count);
  });

  it('starts the next session from this one’s journal only: what was replayed is not replayed twice', async () => {
    await runtime!.stop();
    runtime = await startTestRuntime(data.dir);
    // The 20,000 replayed messages are this session's to replay, once.
    expect(await runtime.recovered).toMatchObject({ state: 'done', toResend: 20_000, resent: 20_000 });
  });
});

describe('restart recovery past the SDK', () => {
  it('hands the replayed messages to the SQS emulator in bulk: the runtime makes no SendMessageBatch request for them', async () => {
    // Prepare: 2,000 messages left by a killed session; a counter of the runtime's SQS requests.
    const data = tempDataDir();
    leftQueued(data.dir, 2000, Date.now() + 600_000);
    const requests: string[] = [];
    const count = (client: DynamoDBClient | SQSClient, service: 'dynamodb' | 'sqs') => {
      if (service !== 'sqs') return;
      (client as SQSClient).middlewareStack.add(
        (next, context) => (args) => {
          requests.push(String(context.commandName));
          return next(args);
        },
        { step: 'initialize', name: 'countRequests' },
      );
    };
    const runtime = await startTestRuntime(data.dir, { instrumentClient: count });
    try {
      // Act
      const done = await runtime.recovered;
      // Assess: every message is back, none of them through the SDK's SendMessageBatch.
      expect(done).toMatchObject({ state: 'done', toResend: 2000, resent: 2000 });
      const queue = await runtime.queues.client.send(
        new GetQueueAttributesCommand({ QueueUrl: runtime.queues.urls.low, AttributeNames: ['All'] }),
      );
      expect(Number(queue.Attributes?.ApproximateNumberOfMessagesDelayed)).toBe(2000);
      expect(requests.filter((r) => r === 'SendMessageBatchCommand')).toEqual([]);
    } finally {
      await runtime.stop();
      data.remove();
    }
  });
});

describe('restart recovery of a catch_up job', () => {
  it('keeps catch_up to its bound: of more than 100 missed runs on the queue only the latest goes back', async () => {
    // Prepare: a catch_up job, and a journal that had 120 of its runs queued, all long missed.
    const data = tempDataDir();
    let runtime = await startTestRuntime(data.dir);
    try {
      const created = await apiClient(runtime.url)('POST', '/v1/jobs', {
        schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
        target: { url: 'http://127.0.0.1:9/never' },
        misfire: 'catch_up',
      });
      expect(created.status).toBe(201);
      await runtime.stop();
      const start = Date.now() - 3_600_000;
      const lines = Array.from({ length: 120 }, (_, i) => {
        const scheduledAt = new Date(start + i * 1000).toISOString();
        const body = { jobId: created.body.id, scheduledAt, trigger: 'schedule', latest: i === 119 };
        return JSON.stringify(['s', `m-${i}`, 'run-normal', Date.now() + 600_000, JSON.stringify(body)]);
      });
      writeFileSync(join(data.dir, 'queue-journal.jsonl'), `${lines.join('\n')}\n`);
      // Act
      runtime = await startTestRuntime(data.dir);
      const done = await runtime.recovered;
      // Assess
      expect(done).toMatchObject({ state: 'done', toResend: 1, resent: 1 });
    } finally {
      await runtime.stop();
      data.remove();
    }
  });
});
