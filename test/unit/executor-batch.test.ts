import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { priorityOfQueueArn, processRunBatch } from '../../lambdas/executor/batch.js';
import type { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { queueArnOf, RUN_QUEUE_URLS, sqsRecord } from '../support/lambda-events.js';
import { MemoryRunQueue } from '../support/memory.js';
import { silentLogger } from '../support/services.js';

describe('processRunBatch', () => {
  const failing = {
    handle: async () => Promise.reject(new Error('store unavailable')),
  } as unknown as ExecutorService;

  it('hands each failed run back to its own queue after the delay of its receive count', async () => {
    // Prepare
    const queue = new MemoryRunQueue();
    const event: SQSEvent = {
      Records: [
        sqsRecord('a', RUN_QUEUE_URLS.high, 1),
        sqsRecord('b', RUN_QUEUE_URLS.low, 3, JSON.stringify({ not: 'a run' })),
      ],
    };
    // Act
    const result = await processRunBatch(event, failing, silentLogger, undefined, {
      queue,
      queueUrls: RUN_QUEUE_URLS,
    });
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
    const event: SQSEvent = { Records: [sqsRecord('a', RUN_QUEUE_URLS.normal, 1)] };
    const result = await processRunBatch(event, failing, silentLogger, undefined, {
      queue,
      queueUrls: RUN_QUEUE_URLS,
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
  });

  it('knows a queue by the name its ARN or URL ends with', () => {
    expect(priorityOfQueueArn(queueArnOf(RUN_QUEUE_URLS.low), RUN_QUEUE_URLS)).toBe('low');
    expect(priorityOfQueueArn('http://127.0.0.1:4566/000000000000/Scheduler-RunHigh', RUN_QUEUE_URLS)).toBe(
      'high',
    );
    expect(priorityOfQueueArn('arn:aws:sqs:us-east-1:123456789012:Other', RUN_QUEUE_URLS)).toBeUndefined();
  });
});
