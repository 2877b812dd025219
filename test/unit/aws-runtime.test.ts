import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SecretsManagerSigningKeys,
  SIGNING_SECRET_MAX_AGE_SECONDS,
} from '../../lambdas/adapters/secrets-manager-signing-keys.js';
import { SqsRunQueue } from '../../lambdas/adapters/sqs-run-queue.js';
import { cachedHealth } from '../../lambdas/api/health-cache.js';
import { redeliveryDelaySeconds, redeliverySpanSeconds } from '../../lambdas/batch/redelivery.js';
import { withOutcomeMetrics } from '../../lambdas/composition/metric-listeners.js';
import { silentLogger } from '../../lambdas/core/ports/logger.js';
import { priorityOfQueueArn, processRunBatch } from '../../lambdas/executor/batch.js';
import { RUN_REDELIVERY } from '../../lambdas/executor/redelivery.js';
import { processNotificationBatch } from '../../lambdas/notifier/batch.js';
import { NOTIFICATION_REDELIVERY } from '../../lambdas/notifier/redelivery.js';
import type { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import type { NotifierService } from '../../lambdas/services/notifications/notifier-service.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import { MemoryRunQueue } from '../support/memory.js';
import { aDeadNotification } from '../support/notification-fixtures.js';

const URLS = {
  high: 'https://sqs.us-east-1.amazonaws.com/123456789012/Scheduler-RunHigh',
  normal: 'https://sqs.us-east-1.amazonaws.com/123456789012/Scheduler-RunNormal',
  low: 'https://sqs.us-east-1.amazonaws.com/123456789012/Scheduler-RunLow',
};
const arnOf = (url: string) => `arn:aws:sqs:us-east-1:123456789012:${url.split('/').pop()}`;
const record = (id: string, queueUrl: string, receiveCount: number, body = 'not json'): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    eventSourceARN: arnOf(queueUrl),
  }) as unknown as SQSRecord;

describe('redelivery policies', () => {
  it.each([
    [1, 5],
    [2, 10],
    [4, 40],
    [5, 60],
    [9, 60],
  ])('a run failed on receive %i comes back after %i s', (receiveCount, seconds) => {
    expect(redeliveryDelaySeconds(RUN_REDELIVERY, receiveCount)).toBe(seconds);
  });

  it('a run that keeps failing reaches its DLQ within minutes, a notification after about 15', () => {
    expect(redeliverySpanSeconds(RUN_REDELIVERY)).toBe(5 + 10 + 20 + 40 + 60 * 5);
    expect(redeliverySpanSeconds(NOTIFICATION_REDELIVERY)).toBe(5 + 10 + 20 + 40 + 80 + 160 + 300 + 300);
  });
});

describe('processNotificationBatch', () => {
  it('backs a failing webhook off by doubling, at most 5 minutes apart', async () => {
    // Prepare
    const body = JSON.stringify(aDeadNotification('team-a', { webhook: 'https://hooks.example.com/x' }));
    const down = {
      deliver: async () => ({ delivered: false, error: 'HTTP 503' }),
    } as unknown as NotifierService;
    const delays: number[] = [];
    // Act
    for (const receiveCount of [1, 6, 7, 8]) {
      await processNotificationBatch(
        { Records: [record(`n${receiveCount}`, URLS.normal, receiveCount, body)] },
        down,
        {
          log: silentLogger,
          retryLater: async (_record, seconds) => void delays.push(seconds),
        },
      );
    }
    // Assess
    expect(delays).toEqual([5, 160, 300, 300]);
  });
});

describe('processRunBatch', () => {
  const failing = {
    handle: async () => Promise.reject(new Error('store unavailable')),
  } as unknown as ExecutorService;

  it('hands each failed run back to its own queue after the delay of its receive count', async () => {
    // Prepare
    const queue = new MemoryRunQueue();
    const event: SQSEvent = {
      Records: [record('a', URLS.high, 1), record('b', URLS.low, 3, JSON.stringify({ not: 'a run' }))],
    };
    // Act
    const result = await processRunBatch(event, failing, silentLogger, undefined, { queue, queueUrls: URLS });
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
    expect(queue.visibilityChanges).toEqual([
      { priority: 'high', receiptHandle: 'rh-a', visibilitySeconds: 5 },
      { priority: 'low', receiptHandle: 'rh-b', visibilitySeconds: 20 },
    ]);
  });

  it('still reports the failures when the visibility cannot be changed', async () => {
    const queue = new MemoryRunQueue();
    queue.setVisibility = async () => Promise.reject(new Error('throttled'));
    const event: SQSEvent = { Records: [record('a', URLS.normal, 1)] };
    const result = await processRunBatch(event, failing, silentLogger, undefined, { queue, queueUrls: URLS });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
  });

  it('knows a queue by the name its ARN or URL ends with', () => {
    expect(priorityOfQueueArn(arnOf(URLS.low), URLS)).toBe('low');
    expect(priorityOfQueueArn('http://127.0.0.1:4566/000000000000/Scheduler-RunHigh', URLS)).toBe('high');
    expect(priorityOfQueueArn('arn:aws:sqs:us-east-1:123456789012:Other', URLS)).toBeUndefined();
  });
});

describe('SqsRunQueue', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  describe('setVisibility', () => {
    it('changes visibility in batches of ten per queue and throws when SQS kept some', async () => {
      // Prepare
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
      const queue = new SqsRunQueue(new SQSClient({ region: 'us-east-1' }), URLS);
      const changes = Array.from({ length: 12 }, (_, i) => ({
        priority: 'normal' as const,
        receiptHandle: `rh-${i}`,
        visibilitySeconds: 5.7,
      }));
      // Act
      await queue.setVisibility([
        ...changes,
        { priority: 'high', receiptHandle: 'rh-h', visibilitySeconds: 1e9 },
      ]);
      // Assess
      const calls = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((call) => call.args[0].input);
      expect(calls.map((input) => [input.QueueUrl, input.Entries?.length])).toEqual([
        [URLS.normal, 10],
        [URLS.normal, 2],
        [URLS.high, 1],
      ]);
      expect(calls[0]?.Entries?.[0]).toEqual({ Id: '0', ReceiptHandle: 'rh-0', VisibilityTimeout: 5 });
      expect(calls[2]?.Entries?.[0]?.VisibilityTimeout).toBe(43_200);

      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({
        Successful: [],
        Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
      });
      await expect(queue.setVisibility(changes.slice(0, 1))).rejects.toThrow(/kept the visibility of 1 of 1/);
    });
  });
});

describe('SecretsManagerSigningKeys', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => {
    secrets.reset();
    vi.useRealTimers();
  });

  it('signs with the secret’s current value and picks up a new one within its cache age, no deploy', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 2, 8) });
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'first|old,team-b=own' }).resolves({
      SecretString: 'second|first',
    });
    const keys = new SecretsManagerSigningKeys('arn:secret', silentLogger);
    // Act & Assess
    await keys.refresh();
    expect(keys.secretsFor('team-a')).toEqual(['first', 'old']);
    expect(keys.secretsFor('team-b')).toEqual(['own']);
    await keys.refresh();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    vi.setSystemTime(Date.UTC(2026, 2, 8) + (SIGNING_SECRET_MAX_AGE_SECONDS + 1) * 1000);
    await keys.refresh();
    expect(keys.secretsFor('team-a')).toEqual(['second', 'first']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps signing with the last value when Secrets Manager fails, and refuses to start without one', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 2, 8) });
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    const fresh = new SecretsManagerSigningKeys('arn:other', silentLogger);
    await expect(fresh.refresh()).rejects.toThrow();
    expect(() => fresh.secretsFor('team-a')).toThrow(/refresh/);

    secrets.reset();
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'kept' }).rejects(new Error('throttled'));
    const keys = new SecretsManagerSigningKeys('arn:kept', silentLogger);
    await keys.refresh();
    vi.setSystemTime(Date.UTC(2026, 2, 9));
    await keys.refresh();
    expect(keys.secretsFor('anyone')).toEqual(['kept']);
  });
});

describe('cachedHealth', () => {
  it('checks once per ten seconds, however many probes, and remembers a failure as long', async () => {
    let now = 0;
    let checks = 0;
    let healthy = false;
    const health = cachedHealth(
      async () => {
        checks++;
        if (!healthy) throw new Error('down');
      },
      () => now,
    );
    await expect(health()).rejects.toThrow('down');
    healthy = true;
    now = 9_999;
    await expect(health()).rejects.toThrow('down');
    now = 10_000;
    await expect(health()).resolves.toBeUndefined();
    await Promise.all([health(), health(), health()]);
    expect(checks).toBe(2);
  });
});

describe('withOutcomeMetrics', () => {
  it('counts each final status in its metric and passes every event on', async () => {
    const counted: string[] = [];
    const seen: string[] = [];
    const events = withOutcomeMetrics(
      {
        started: async () => void seen.push('started'),
        attemptFailed: async () => void seen.push('attemptFailed'),
        finished: async (_job, execution) => void seen.push(execution.status),
      },
      (metric) => counted.push(metric),
    );
    const job = {} as JobRecord;
    for (const status of ['succeeded', 'failed', 'timed_out', 'dead', 'cancelled', 'skipped']) {
      await events.finished(job, { status } as ExecutionRecord);
    }
    await events.started(job, {} as ExecutionRecord, 5);
    expect(counted).toEqual([
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsFailed',
      'ExecutionsDead',
    ]);
    expect(seen).toEqual(['succeeded', 'failed', 'timed_out', 'dead', 'cancelled', 'skipped', 'started']);
  });
});
