import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Priority } from '../../schemas/job.js';
import type { OutgoingRun, RunQueue, VisibilityChange } from '../core/ports/run-queue.js';
import { inSlicesOfTen, sendBatch } from './sqs-batches.js';

const MAX_VISIBILITY_SECONDS = 43_200;

/** Run queues on SQS, one per priority; sends in batches of ten and resends the entries SQS refused. */
export class SqsRunQueue implements RunQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrls: Record<Priority, string>,
  ) {}

  async send(runs: OutgoingRun[]): Promise<void> {
    await this.inBatches(runs, (queueUrl, batch) => this.sendBatch(queueUrl, batch));
  }

  async setVisibility(changes: VisibilityChange[]): Promise<void> {
    let unchanged = 0;
    await this.inBatches(changes, async (queueUrl, batch) => {
      const out = await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((change, index) => ({
            Id: String(index),
            ReceiptHandle: change.receiptHandle,
            VisibilityTimeout: Math.max(
              0,
              Math.min(MAX_VISIBILITY_SECONDS, Math.floor(change.visibilitySeconds)),
            ),
          })),
        }),
      );
      unchanged += out.Failed?.length ?? 0;
    });
    if (unchanged > 0)
      throw new Error(`run queue kept the visibility of ${unchanged} of ${changes.length} messages`);
  }

  /** Groups items by their priority's queue, sends each queue's in batches of ten, throws the first failure. */
  private async inBatches<T extends { priority: Priority }>(
    items: T[],
    sendBatch: (queueUrl: string, batch: T[]) => Promise<void>,
  ): Promise<void> {
    const byPriority = new Map<Priority, T[]>();
    for (const item of items) {
      const list = byPriority.get(item.priority) ?? [];
      list.push(item);
      byPriority.set(item.priority, list);
    }
    const queues = [...byPriority].map(([priority, list]) =>
      inSlicesOfTen(list, (batch) => sendBatch(this.queueUrls[priority], batch)),
    );
    const results = await Promise.allSettled(queues);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private sendBatch(queueUrl: string, runs: OutgoingRun[]): Promise<void> {
    const messages = runs.map((run) => ({
      body: JSON.stringify(run.message),
      delaySeconds: run.delaySeconds,
    }));
    return sendBatch(this.client, queueUrl, messages, 'run queue');
  }

  async ping(): Promise<void> {
    await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrls.normal, AttributeNames: ['QueueArn'] }),
    );
  }
}
