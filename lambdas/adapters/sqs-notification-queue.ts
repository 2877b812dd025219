import type { SQSClient } from '@aws-sdk/client-sqs';
import type { NotificationQueue, OutgoingNotification } from '../core/ports/notification-queue.js';
import { inSlicesOfTen, sendBatch } from './sqs-batches.js';

/** The notifications queue on SQS: batches of ten, entries SQS refused for a passing reason are resent. */
export class SqsNotificationQueue implements NotificationQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  send(notifications: OutgoingNotification[]): Promise<void> {
    return inSlicesOfTen(notifications, (slice) =>
      sendBatch(
        this.client,
        this.queueUrl,
        slice.map((n) => ({ body: JSON.stringify(n.message), delaySeconds: n.delaySeconds ?? 0 })),
        'notifications queue',
      ),
    );
  }
}
