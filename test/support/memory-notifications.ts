import type { Email, EmailSender } from '../../lambdas/core/ports/email-sender.js';
import type { NotificationQueue, OutgoingNotification } from '../../lambdas/core/ports/notification-queue.js';

/** Records what the publisher enqueued; tests hand the messages to the notifier themselves. */
export class MemoryNotificationQueue implements NotificationQueue {
  readonly sent: OutgoingNotification[] = [];
  failNext = 0;

  async send(notifications: OutgoingNotification[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected notifications queue failure');
    }
    this.sent.push(...structuredClone(notifications));
  }

  take(): OutgoingNotification[] {
    return this.sent.splice(0);
  }
}

export class MemoryEmailSender implements EmailSender {
  readonly sent: Email[] = [];
  failNext = 0;

  async send(email: Email): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected mail failure');
    }
    this.sent.push(email);
  }
}
