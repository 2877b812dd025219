import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { Logger } from '../lambdas/core/ports/logger.js';
import { type NotificationOutcome, processNotificationBatch } from '../lambdas/notifier/batch.js';
import type { NotifierService } from '../lambdas/services/notifier-service.js';
import { sqsRecordOf } from './sqs-record.js';

export interface NotificationPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  service: NotifierService;
  log: Logger;
  /** Long-poll loops; each hands its batch to the notifier handler's batch logic. */
  loops: number;
  /** First retry delay of a failed delivery, doubling after (default 5 s). */
  retryBaseSeconds?: number;
  onOutcome?: (outcome: NotificationOutcome) => void;
}

/**
 * Plays Lambda's SQS event source for the notifier: long-polls the notifications queue, runs the
 * notifier's batch logic, deletes what was delivered. Failed deliveries were given a longer
 * visibility by the batch logic, so SQS redelivers them later, and moves them to the DLQ after
 * the last try — as in AWS.
 */
export class NotificationPollers {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly receiveAbort = new AbortController();

  constructor(private readonly options: NotificationPollerOptions) {}

  start(): void {
    for (let i = 0; i < this.options.loops; i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    const { sqs, queueUrl, log } = this.options;
    while (!this.stopping) {
      let messages: Message[] = [];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 2,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.receiveAbort.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (this.stopping) return;
        log.warn('notifications receive failed; retrying', { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (messages.length > 0) await this.process(messages);
    }
  }

  private async process(messages: Message[]): Promise<void> {
    const { sqs, queueUrl, service, log } = this.options;
    const event: SQSEvent = { Records: messages.map((m) => sqsRecordOf(m, queueUrl)) };
    try {
      const result = await processNotificationBatch(event, service, {
        log,
        ...(this.options.retryBaseSeconds !== undefined
          ? { retryBaseSeconds: this.options.retryBaseSeconds }
          : {}),
        retryLater: async (record, delaySeconds) => {
          await sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: queueUrl,
              ReceiptHandle: record.receiptHandle,
              VisibilityTimeout: delaySeconds,
            }),
          );
        },
        ...(this.options.onOutcome ? { onOutcome: this.options.onOutcome } : {}),
      });
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      await Promise.all(
        event.Records.filter((record) => !failed.has(record.messageId)).map((record) =>
          sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle })),
        ),
      );
    } catch (error) {
      log.error('notification poller failed to settle a batch', { error: String(error) });
    }
  }

  /** Stops receiving and waits for the batches in hand (deliveries time out on their own). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.receiveAbort.abort();
    await Promise.allSettled(this.loops);
  }
}
