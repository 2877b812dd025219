import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, sqsClient, startSqs } from '../../local/emulators.js';
import { InvocationLimit, SqsEventSource } from '../../local/sqs-event-source.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Every command the client sends, by name, with its input. */
function recordCommands(client: SQSClient) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize' },
  );
  return sent;
}

describe('SqsEventSource', () => {
  let sqs: Emulator;
  let client: SQSClient;
  let queueUrl: string;

  beforeEach(async () => {
    sqs = await startSqs();
    client = sqsClient(sqs.endpoint);
    queueUrl = (await client.send(new CreateQueueCommand({ QueueName: 'runs' }))).QueueUrl!;
  });
  afterEach(async () => {
    client.destroy();
    await sqs.stop();
  });

  describe('settling', () => {
    it("deletes the invocations' successes ten to a DeleteMessageBatch and leaves the failures on the queue", async () => {
      // Prepare: 12 messages, one of which its invocation fails; each invocation gets one.
      const bodies = Array.from({ length: 12 }, (_, i) => (i === 4 ? 'fail' : `ok-${i}`));
      for (let i = 0; i < bodies.length; i += 10) {
        await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
          }),
        );
      }
      const sent = recordCommands(client);
      let release!: () => void;
      const allReceived = new Promise<void>((resolve) => {
        release = resolve;
      });
      let handled = 0;
      const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
        if (++handled === bodies.length) release();
        await allReceived;
        const record = event.Records[0]!;
        return { batchItemFailures: record.body === 'fail' ? [{ itemIdentifier: record.messageId }] : [] };
      };
      const source = new SqsEventSource({
        sqs: client,
        queueUrl,
        name: 'test',
        log: quiet,
        handler,
        loops: 1,
        batchSize: 1,
        limit: new InvocationLimit(16),
      });
      // Act
      source.start();
      await allReceived;
      await source.stop(5000);
      // Assess
      const deletes = sent.filter((c) => c.name.startsWith('DeleteMessage'));
      expect(deletes.map((c) => c.name)).toEqual(['DeleteMessageBatchCommand', 'DeleteMessageBatchCommand']);
      expect(deletes.map((c) => (c.input.Entries as unknown[]).length)).toEqual([10, 1]);
      const left = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
      );
      expect(Number(left.Attributes?.ApproximateNumberOfMessages ?? 0)).toBe(0);
      expect(Number(left.Attributes?.ApproximateNumberOfMessagesNotVisible)).toBe(1);
    });
  });
});
