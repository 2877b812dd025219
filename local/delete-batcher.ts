import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SQS_BATCH } from '../lambdas/adapters/sqs-batches.js';
import type { Logger } from '../lambdas/core/ports/logger.js';

interface PendingDelete {
  receiptHandle: string;
  done: () => void;
}

/**
 * Deletes a queue's settled messages ten to a DeleteMessageBatch, as Lambda's event source mapping
 * deletes a batch's successes in one request. The run queues hand one message to each invocation
 * (one slow target holds up no other run), so the deletes of invocations that finish in the same
 * turn of the event loop are gathered: a batch goes out when ten are waiting or at the next turn.
 * A delete that fails leaves its message to its visibility timeout: SQS delivers it again and the
 * executor's claim recognises a finished run, as it does for any redelivery.
 */
export class DeleteBatcher {
  private pending: PendingDelete[] = [];
  private scheduled = false;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly log: Logger,
    private readonly name: string,
  ) {}

  /** Resolves once the delete was sent (whether SQS accepted it or not: see the class comment). */
  delete(receiptHandles: readonly string[]): Promise<void> {
    const sent = receiptHandles.map(
      (receiptHandle) =>
        new Promise<void>((done) => {
          this.pending.push({ receiptHandle, done });
        }),
    );
    while (this.pending.length >= SQS_BATCH) void this.flush(this.pending.splice(0, SQS_BATCH));
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (this.pending.length > 0) void this.flush(this.pending.splice(0, SQS_BATCH));
      });
    }
    return Promise.all(sent).then(() => undefined);
  }

  private async flush(batch: PendingDelete[]): Promise<void> {
    try {
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((d, i) => ({ Id: String(i), ReceiptHandle: d.receiptHandle })),
        }),
      );
      if (out.Failed?.length)
        this.log.warn(`${this.name}: ${out.Failed.length} deletes refused; those messages come back`, {
          codes: out.Failed.map((f) => f.Code),
        });
    } catch (error) {
      this.log.warn(`${this.name}: a delete batch failed; its messages come back`, { error: String(error) });
    } finally {
      for (const d of batch) d.done();
    }
  }
}
