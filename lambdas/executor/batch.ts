import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Priority } from '../../schemas/job.js';
import { RunMessage } from '../../schemas/messages.js';
import { failedRecords, parseBody, processSqsBatch, UnparseableMessage } from '../batch/partial-batch.js';
import { receiveCountOf, redeliveryDelaySeconds } from '../batch/redelivery.js';
import type { Logger } from '../core/ports/logger.js';
import type { RunQueue, VisibilityChange } from '../core/ports/run-queue.js';
import { LeaseHeld } from '../services/executor/claims.js';
import type { ExecutorService, RunOutcome } from '../services/executor/executor-service.js';
import { RUN_REDELIVERY } from './redelivery.js';

/** SQS's longest visibility timeout (12 h). */
const MAX_VISIBILITY_SECONDS = 43_200;

/** Where failed runs go back to: the run queues, known by URL, and how soon each comes back. */
export interface RunHandBack {
  queue: RunQueue;
  queueUrls: Readonly<Record<Priority, string>>;
  /** Seconds until SQS redelivers a failed record; default RUN_REDELIVERY's delay for its receive count. */
  delaySeconds?: (record: SQSRecord, error: unknown) => number;
}

/**
 * Processes an SQS batch of run messages concurrently and reports only the records that failed, so
 * SQS redelivers those alone. A body that does not parse is reported as failed too: after the
 * queue's maxReceiveCount it lands in the DLQ, counted, never silently dropped.
 *
 * With `handBack`, each failed record's visibility is first shortened (RUN_REDELIVERY's delay for
 * its receive count), so it comes back in seconds rather than after the queue's visibility
 * timeout (the lease of a live run, a quarter of an hour).
 */
export async function processRunBatch(
  event: SQSEvent,
  service: Pick<ExecutorService, 'handle'> & Partial<Pick<ExecutorService, 'readJobs'>>,
  log: Logger,
  onOutcome: (outcome: RunOutcome | 'unparseable') => void = () => {},
  handBack?: RunHandBack,
): Promise<SQSBatchResponse> {
  const errors = new Map<string, unknown>();
  // The jobs of every run in the batch, in one read; each run falls back to its own read if needed.
  const jobs = service.readJobs ? await service.readJobs(runsOf(event)) : undefined;
  const response = await processSqsBatch(event, async (record) => {
    try {
      onOutcome(await service.handle(parseBody(record, RunMessage), jobs));
    } catch (error) {
      errors.set(record.messageId, error);
      if (error instanceof UnparseableMessage) {
        onOutcome('unparseable');
        log.error('run message does not parse; leaving it for the DLQ', { messageId: record.messageId });
      } else if (error instanceof LeaseHeld) {
        log.info('run leased to another executor; back when its lease ends', {
          executionId: error.executionId,
          inSeconds: error.remainingSeconds,
        });
      } else {
        log.error('run failed; SQS will redeliver it', { messageId: record.messageId, error: String(error) });
      }
      throw error;
    }
  });
  const failed = failedRecords(event, response);
  if (handBack && failed.length > 0) await handBackSoon(failed, errors, handBack, log);
  return response;
}

/** The batch's run messages that parse (the others fail on their own in the record handler). */
function runsOf(event: SQSEvent): RunMessage[] {
  return event.Records.flatMap((record) => {
    try {
      return [parseBody(record, RunMessage)];
    } catch {
      return [];
    }
  });
}

async function handBackSoon(
  records: SQSRecord[],
  errors: Map<string, unknown>,
  handBack: RunHandBack,
  log: Logger,
): Promise<void> {
  const delayOf =
    handBack.delaySeconds ??
    ((record: SQSRecord) => redeliveryDelaySeconds(RUN_REDELIVERY, receiveCountOf(record)));
  const changes = records.flatMap((record): VisibilityChange[] => {
    const priority = priorityOfQueueArn(record.eventSourceARN, handBack.queueUrls);
    if (!priority) return [];
    const error = errors.get(record.messageId);
    // A run another executor holds comes back when its lease ends, whatever the receive count.
    const visibilitySeconds =
      error instanceof LeaseHeld
        ? Math.min(error.remainingSeconds, MAX_VISIBILITY_SECONDS)
        : delayOf(record, error);
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
