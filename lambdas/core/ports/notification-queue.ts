import type { NotificationMessage } from '../../../schemas/notification.js';

/** One notification on its way to one receiver (schemas/notification.ts). */
export interface OutgoingNotification {
  message: NotificationMessage;
  /** Held back this long before the notifier sees it (0–900). */
  delaySeconds?: number;
}

/** The notifications queue between the services that notice events and the notifier that delivers them. */
export interface NotificationQueue {
  /** Sends every notification or throws; batches internally. */
  send(notifications: OutgoingNotification[]): Promise<void>;
}
