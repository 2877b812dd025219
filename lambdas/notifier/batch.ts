import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NotificationMessage } from '../../schemas/notification.js';
import { parseBody, processSqsBatch, UnparseableMessage } from '../batch/partial-batch.js';
import { receiveCountOf, redeliveryDelaySeconds } from '../batch/redelivery.js';
import type { Logger } from '../core/ports/logger.js';
import type { NotifierService } from '../services/notifications/notifier-service.js';
import { NOTIFICATION_REDELIVERY } from './redelivery.js';

export type NotificationOutcome = 'delivered' | 'retrying' | 'unparseable';

export interface NotificationBatchOptions {
  log: Logger;
  /** Hides a failed record for `delaySeconds` before SQS redelivers it (ChangeMessageVisibility). */
  retryLater(record: SQSRecord, delaySeconds: number): Promise<void>;
  /** First retry delay; each further one doubles up to NOTIFICATION_REDELIVERY's cap (default its 5 s). */
  retryBaseSeconds?: number;
  onOutcome?(outcome: NotificationOutcome): void;
}

/** A delivery the receiver did not take: the record is reported failed, to come back later. */
class NotDelivered extends Error {}

/**
 * Delivers a batch of notifications concurrently and reports the ones that failed, so SQS
 * redelivers those alone — later each time: the record's visibility grows with its receive
 * count. After the queue's maxReceiveCount the message moves to the notifications DLQ, counted.
 */
export function processNotificationBatch(
  event: SQSEvent,
  service: NotifierService,
  options: NotificationBatchOptions,
): Promise<SQSBatchResponse> {
  const { log, onOutcome = () => {} } = options;
  return processSqsBatch(event, async (record) => {
    let message: NotificationMessage;
    try {
      message = parseBody(record, NotificationMessage);
    } catch (error) {
      if (!(error instanceof UnparseableMessage)) throw error;
      onOutcome('unparseable');
      log.error('notification does not parse; leaving it for the DLQ', { messageId: record.messageId });
      throw error;
    }
    const attempt = receiveCountOf(record);
    const result = await service.deliver(message, attempt);
    if (result.delivered) {
      onOutcome('delivered');
      return;
    }
    const firstDelaySeconds = options.retryBaseSeconds ?? NOTIFICATION_REDELIVERY.firstDelaySeconds;
    const delaySeconds = redeliveryDelaySeconds({ ...NOTIFICATION_REDELIVERY, firstDelaySeconds }, attempt);
    log.warn('notification not delivered; retrying later', {
      notificationId: message.payload.id,
      attempt,
      delaySeconds,
      error: result.error,
    });
    onOutcome('retrying');
    await options
      .retryLater(record, delaySeconds)
      .catch((error: unknown) =>
        log.warn('could not delay the redelivery; the queue default applies', { error: String(error) }),
      );
    throw new NotDelivered(result.error);
  });
}
