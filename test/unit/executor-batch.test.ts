import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { priorityOfQueueArn, processRunBatch } from '../../lambdas/executor/batch.js';
import type { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { queueArnOf, RUN_QUEUE_URLS, sqsRecord } from '../support/lambda-events.js';
import { MemoryRunQueue } from '../support/memory.js';
import { onceRun, setup } from '../support/scheduler.js';
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

  it('hands a run whose lease another executor holds back for the lease’s remainder, not dropped', async () => {
    const s = setup({ now: Date.parse('2026-05-01T12:00:00.200Z') });
    const { run } = await onceRun(s, { timeoutSeconds: 10 });
    s.http.answer = () => new Promise(() => {}); // exec-a holds the call
    void s.executor.handle(run.message);
    await new Promise((r) => setImmediate(r));
    const held = await s.executions.getExecution(run.message.executionId);
    const event: SQSEvent = {
      Records: [sqsRecord('a', RUN_QUEUE_URLS.normal, 2, JSON.stringify(run.message))],
    };
    const result = await processRunBatch(event, s.otherExecutor, silentLogger, undefined, {
      queue: s.queue,
      queueUrls: RUN_QUEUE_URLS,
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    const remaining = Math.ceil((held!.lease!.until - s.clock.now()) / 1000);
    expect(remaining).toBeGreaterThan(10);
    expect(s.queue.visibilityChanges).toEqual([
      { priority: 'normal', receiptHandle: 'rh-a', visibilitySeconds: remaining },
    ]);
  });

  it('knows a queue by the name its ARN or URL ends with', () => {
    expect(priorityOfQueueArn(queueArnOf(RUN_QUEUE_URLS.low), RUN_QUEUE_URLS)).toBe('low');
    expect(priorityOfQueueArn('http://127.0.0.1:4566/000000000000/Scheduler-RunHigh', RUN_QUEUE_URLS)).toBe(
      'high',
    );
    expect(priorityOfQueueArn('arn:aws:sqs:us-east-1:123456789012:Other', RUN_QUEUE_URLS)).toBeUndefined();
  });
});
