import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { NotificationQueue, OutgoingNotification } from '../core/ports/notification-queue.js';

const BATCH = 10;
const MAX_TRIES = 5;
const MAX_DELAY_SECONDS = 900;

/** The notifications queue on SQS: batches of ten, entries SQS refused for a passing reason are resent. */
export class SqsNotificationQueue implements NotificationQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(notifications: OutgoingNotification[]): Promise<void> {
    const batches: Promise<void>[] = [];
    for (let i = 0; i < notifications.length; i += BATCH)
      batches.push(this.sendBatch(notifications.slice(i, i + BATCH)));
    const results = await Promise.allSettled(batches);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async sendBatch(notifications: OutgoingNotification[]): Promise<void> {
    let pending = notifications.map((notification, index) => ({ id: String(index), notification }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: pending.map(({ id, notification }) => ({
            Id: id,
            MessageBody: JSON.stringify(notification.message),
            DelaySeconds: Math.max(
              0,
              Math.min(MAX_DELAY_SECONDS, Math.floor(notification.delaySeconds ?? 0)),
            ),
          })),
        }),
      );
      const senderFault = (out.Failed ?? []).find((f) => f.SenderFault);
      if (senderFault)
        throw new Error(
          `notifications queue refused a message: ${senderFault.Code} ${senderFault.Message ?? ''}`,
        );
      const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
      pending = pending.filter(({ id }) => failedIds.has(id));
      if (pending.length > 0 && attempt >= MAX_TRIES)
        throw new Error(
          `notifications queue failed to accept ${pending.length} messages after ${MAX_TRIES} tries`,
        );
    }
  }
}
