import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { Logger } from '../lambdas/core/ports/logger.js';
import { processRunBatch } from '../lambdas/executor/batch.js';
import type { ExecuteService, RunOutcome } from '../lambdas/services/execute-service.js';
import type { Priority } from '../schemas/job.js';
import { sqsRecordOf } from './sqs-record.js';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrls: Record<Priority, string>;
  service: ExecuteService;
  log: Logger;
  /** Executions in flight at once across all queues. */
  maxInFlight: number;
  /** Long-poll loops per queue: more for `high`, so it is served first under load. */
  loops: Record<Priority, number>;
  onOutcome?: (outcome: RunOutcome | 'unparseable') => void;
}

/**
 * Plays the part of Lambda's SQS event source: long-polls each run queue, hands every message
 * to the executor handler's batch logic on its own (so one slow target holds up no other run),
 * deletes what succeeded and makes failures visible again for redelivery.
 */
export class RunQueuePollers {
  private stopping = false;
  private inFlight = 0;
  private readonly loops: Promise<void>[] = [];
  private readonly running = new Set<Promise<void>>();
  private waiters: (() => void)[] = [];
  private readonly receiveAbort = new AbortController();

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    for (const [priority, count] of Object.entries(this.options.loops) as [Priority, number][]) {
      for (let i = 0; i < count; i++) this.loops.push(this.loop(this.options.queueUrls[priority]));
    }
  }

  get activeExecutions(): number {
    return this.inFlight;
  }

  private async slotFree(): Promise<void> {
    while (this.inFlight >= this.options.maxInFlight && !this.stopping) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async loop(queueUrl: string): Promise<void> {
    const { sqs, log } = this.options;
    while (!this.stopping) {
      await this.slotFree();
      if (this.stopping) return;
      let messages: Message[] = [];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.max(1, Math.min(10, this.options.maxInFlight - this.inFlight)),
            WaitTimeSeconds: 2,
          }),
          { abortSignal: this.receiveAbort.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (this.stopping) return;
        log.warn('run queue receive failed; retrying', { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      for (const message of messages) this.dispatch(queueUrl, message);
    }
  }

  private dispatch(queueUrl: string, message: Message): void {
    this.inFlight++;
    const work = this.processOne(queueUrl, message).finally(() => {
      this.inFlight--;
      this.running.delete(work);
      const waiter = this.waiters.shift();
      waiter?.();
    });
    this.running.add(work);
  }

  private async processOne(queueUrl: string, message: Message): Promise<void> {
    const { sqs, service, log, onOutcome } = this.options;
    const event: SQSEvent = { Records: [sqsRecordOf(message, queueUrl)] };
    let unparseable = false;
    try {
      const result = await processRunBatch(event, service, log, (outcome) => {
        unparseable ||= outcome === 'unparseable';
        onOutcome?.(outcome);
      });
      if (result.batchItemFailures.length === 0) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      } else if (!this.stopping) {
        // Redeliver after a short pause instead of the full visibility timeout; a message that cannot
        // parse will not get better, so it goes round at once until the redrive policy moves it to the DLQ.
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: unparseable ? 0 : 5,
          }),
        );
      }
    } catch (error) {
      log.error('poller failed to settle a message', { error: String(error) });
    }
  }

  /** Stops receiving; waits up to `graceMs` for executions in flight. Returns how many were still running. */
  async stop(graceMs: number): Promise<number> {
    this.stopping = true;
    this.receiveAbort.abort();
    for (const waiter of this.waiters.splice(0)) waiter();
    await Promise.allSettled(this.loops);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    return this.inFlight;
  }
}
