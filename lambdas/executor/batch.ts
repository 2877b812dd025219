import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Priority } from '../../schemas/job.js';
import { RunMessage } from '../../schemas/messages.js';
import type { Logger } from '../core/ports/logger.js';
import type { RunQueue, VisibilityChange } from '../core/ports/run-queue.js';
import type { ExecuteService, RunOutcome } from '../services/execute-service.js';
import { receiveCountOf, redeliveryDelaySeconds } from '../shared/redelivery.js';
import { RUN_REDELIVERY } from './redelivery.js';

/** Where failed runs go back to: the run queues, known by URL. */
export interface RunHandBack {
  queue: RunQueue;
  queueUrls: Readonly<Record<Priority, string>>;
}

/**
 * Processes an SQS batch concurrently and reports only the records that failed, so SQS
 * redelivers those alone. A body that does not parse is reported as failed too: after the
 * queue's maxReceiveCount it lands in the DLQ, counted, never silently dropped.
 *
 * With `handBack`, each failed record's visibility is first shortened to RUN_REDELIVERY's delay
 * for its receive count, so it comes back in seconds rather than after the queue's visibility
 * timeout (the lease of a live run, a quarter of an hour).
 */
export async function processRunBatch(
  event: SQSEvent,
  service: ExecuteService,
  log: Logger,
  onOutcome: (outcome: RunOutcome | 'unparseable') => void = () => {},
  handBack?: RunHandBack,
): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(
    event.Records.map(async (record) => {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const parsed = RunMessage.safeParse(body);
      if (!parsed.success) {
        onOutcome('unparseable');
        log.error('run message does not parse; leaving it for the DLQ', { messageId: record.messageId });
        throw new Error('unparseable run message');
      }
      onOutcome(await service.handle(parsed.data));
    }),
  );
  const failed = event.Records.filter((record, i) => {
    const result = results[i];
    if (result?.status !== 'rejected') return false;
    if (!(result.reason instanceof Error && result.reason.message === 'unparseable run message')) {
      log.error('run failed; SQS will redeliver it', {
        messageId: record.messageId,
        error: String(result.reason),
      });
    }
    return true;
  });
  if (handBack && failed.length > 0) await handBackSoon(failed, handBack, log);
  return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
}

async function handBackSoon(records: SQSRecord[], handBack: RunHandBack, log: Logger): Promise<void> {
  const changes = records.flatMap((record): VisibilityChange[] => {
    const priority = priorityOfQueueArn(record.eventSourceARN, handBack.queueUrls);
    if (!priority) return [];
    const visibilitySeconds = redeliveryDelaySeconds(RUN_REDELIVERY, receiveCountOf(record));
    return [{ priority, receiptHandle: record.receiptHandle, visibilitySeconds }];
  });
  try {
    await handBack.queue.setVisibility(changes);
  } catch (error) {
    log.warn('could not hand failed runs back early; the queue visibility timeout applies', {
      error: String(error),
    });
  }
}

/** The priority whose run queue an event source ARN names (the ARN's last segment is the queue name). */
export function priorityOfQueueArn(
  queueArn: string | undefined,
  queueUrls: Readonly<Record<Priority, string>>,
): Priority | undefined {
  if (!queueArn) return undefined;
  const name = queueArn.split(/[:/]/).pop();
  const found = (Object.entries(queueUrls) as [Priority, string][]).find(([, url]) =>
    url.endsWith(`/${name}`),
  );
  return found?.[0];
}
