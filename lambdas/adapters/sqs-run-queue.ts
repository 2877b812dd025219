import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Priority } from '../../schemas/job.js';
import type { OutgoingRun, RunQueue, VisibilityChange } from '../core/ports/run-queue.js';

const MAX_DELAY_SECONDS = 900;
const BATCH = 10;
const MAX_TRIES = 5;
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

  /** Groups items by their priority's queue into batches of ten, sends them all, throws the first failure. */
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
    const batches: Promise<void>[] = [];
    for (const [priority, list] of byPriority) {
      for (let i = 0; i < list.length; i += BATCH) {
        batches.push(sendBatch(this.queueUrls[priority], list.slice(i, i + BATCH)));
      }
    }
    const results = await Promise.allSettled(batches);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async sendBatch(queueUrl: string, runs: OutgoingRun[]): Promise<void> {
    let pending = runs.map((run, index) => ({ id: String(index), run }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: pending.map(({ id, run }) => ({
            Id: id,
            MessageBody: JSON.stringify(run.message),
            DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.floor(run.delaySeconds))),
          })),
        }),
      );
      const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
      const senderFault = (out.Failed ?? []).find((f) => f.SenderFault);
      if (senderFault)
        throw new Error(`run queue refused a message: ${senderFault.Code} ${senderFault.Message ?? ''}`);
      pending = pending.filter(({ id }) => failedIds.has(id));
      if (pending.length > 0 && attempt >= MAX_TRIES) {
        throw new Error(`run queue failed to accept ${pending.length} messages after ${MAX_TRIES} tries`);
      }
    }
  }

  async ping(): Promise<void> {
    await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrls.normal, AttributeNames: ['QueueArn'] }),
    );
  }
}
