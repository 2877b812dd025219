import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsRunQueue } from '../../lambdas/adapters/sqs-run-queue.js';
import { RUN_QUEUE_URLS } from '../support/lambda-events.js';

describe('SqsRunQueue', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  describe('setVisibility', () => {
    it('changes visibility in batches of ten per queue and throws when SQS kept some', async () => {
      // Prepare
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
      const queue = new SqsRunQueue(new SQSClient({ region: 'us-east-1' }), RUN_QUEUE_URLS);
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
        [RUN_QUEUE_URLS.normal, 10],
        [RUN_QUEUE_URLS.normal, 2],
        [RUN_QUEUE_URLS.high, 1],
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
