import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NotificationMessage } from '../../schemas/notification.js';
import type { Logger } from '../core/ports/logger.js';
import type { NotifierService } from '../services/notifier-service.js';
import { receiveCountOf, redeliveryDelaySeconds } from '../shared/redelivery.js';
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

/**
 * Delivers a batch of notifications concurrently and reports the ones that failed, so SQS
 * redelivers those alone — later each time: the record's visibility grows with its receive
 * count. After the queue's maxReceiveCount the message moves to the notifications DLQ, counted.
 */
export async function processNotificationBatch(
  event: SQSEvent,
  service: NotifierService,
  options: NotificationBatchOptions,
): Promise<SQSBatchResponse> {
  const { log, onOutcome = () => {} } = options;
  const results = await Promise.all(
    event.Records.map(async (record): Promise<boolean> => {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const parsed = NotificationMessage.safeParse(body);
      if (!parsed.success) {
        onOutcome('unparseable');
        log.error('notification does not parse; leaving it for the DLQ', { messageId: record.messageId });
        return false;
      }
      const attempt = receiveCountOf(record);
      const result = await service.deliver(parsed.data, attempt);
      if (result.delivered) {
        onOutcome('delivered');
        return true;
      }
      const delaySeconds = redeliveryDelaySeconds(
        {
          ...NOTIFICATION_REDELIVERY,
          firstDelaySeconds: options.retryBaseSeconds ?? NOTIFICATION_REDELIVERY.firstDelaySeconds,
        },
        attempt,
      );
      log.warn('notification not delivered; retrying later', {
        notificationId: parsed.data.payload.id,
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
      return false;
    }),
  );
  return {
    batchItemFailures: event.Records.filter((_, i) => !results[i]).map((record) => ({
      itemIdentifier: record.messageId,
    })),
  };
}
