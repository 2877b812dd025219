import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { RunMessage } from '../../schemas/messages.js';
import type { Logger } from '../services/deps.js';
import type { ExecuteService, RunOutcome } from '../services/execute-service.js';

/**
 * Processes an SQS batch concurrently and reports only the records that failed, so SQS
 * redelivers those alone. A body that does not parse is reported as failed too: after the
 * queue's maxReceiveCount it lands in the DLQ, counted, never silently dropped.
 */
export async function processRunBatch(
  event: SQSEvent,
  service: ExecuteService,
  log: Logger,
  onOutcome: (outcome: RunOutcome | 'unparseable') => void = () => {},
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
  const batchItemFailures = event.Records.flatMap((record, i) => {
    const result = results[i];
    if (result?.status !== 'rejected') return [];
    if (!(result.reason instanceof Error && result.reason.message === 'unparseable run message')) {
      log.error('run failed; SQS will redeliver it', {
        messageId: record.messageId,
        error: String(result.reason),
      });
    }
    return [{ itemIdentifier: record.messageId }];
  });
  return { batchItemFailures };
}
