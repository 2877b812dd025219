import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { priorityOfQueueArn, processRunBatch } from '../../lambdas/executor/batch.js';
import type { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { MemoryRunQueue } from '../support/memory.js';
import { silentLogger } from '../support/services.js';

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
