import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from '../lambdas/core/ports/logger.js';
import { DeleteBatcher } from './delete-batcher.js';

/** Invocations in flight, shared by the sources that draw on one pool (the run queues' executor). */
export class InvocationLimit {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(readonly max: number) {}

  /** Places free now (receives ask for no more messages than this fills). */
  get free(): number {
    return Math.max(0, this.max - this.inFlight);
  }

  /** Resolves once a place is free, or the limit closed (shutdown). */
  async room(): Promise<void> {
    while (this.inFlight >= this.max && !this.closed) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  take(): void {
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
    this.waiters.shift()?.();
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Names the source in logs ("run queue high", "notifications"). */
  name: string;
  log: Logger;
  /** The function's batch logic, as Lambda calls it: a batch in, the records that failed out. */
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** Long-poll loops on the queue. */
  loops: number;
  /** Records per invocation (Lambda's batch size): 1 hands every message to an invocation of its own. */
  batchSize: number;
  /** Invocations in flight at most (shared between sources to pool them). */
  limit: InvocationLimit;
}

/**
 * Plays Lambda's SQS event source locally, for the run queues and the notifications queue alike:
 * long-polls the queue, hands what it receives to the handler's batch logic in batches of
 * `batchSize` (so one slow target holds up no other run), deletes the records that succeeded in
 * DeleteMessageBatch requests of up to ten (gathered across invocations: see DeleteBatcher) and
 * leaves the failed ones to their visibility (the batch logic has set it, as it does in AWS), so
 * SQS redelivers them and its redrive policy moves them to the DLQ after the last try.
 */
export class SqsEventSource {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly receiveAbort = new AbortController();
  private readonly deletes: DeleteBatcher;

  constructor(private readonly options: SqsEventSourceOptions) {
    this.deletes = new DeleteBatcher(options.sqs, options.queueUrl, options.log, options.name);
  }

  start(): void {
    for (let i = 0; i < this.options.loops; i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    const { limit } = this.options;
    while (!this.stopping) {
      await limit.room();
      if (this.stopping) return;
      const messages = await this.receive(Math.max(1, Math.min(10, limit.free * this.options.batchSize)));
      for (let i = 0; i < messages.length; i += this.options.batchSize) {
        this.invoke(messages.slice(i, i + this.options.batchSize));
      }
    }
  }

  private async receive(max: number): Promise<Message[]> {
    const { sqs, queueUrl, log, name } = this.options;
    try {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: 2,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        { abortSignal: this.receiveAbort.signal },
      );
      return out.Messages ?? [];
    } catch (error) {
      if (this.stopping) return [];
      log.warn(`${name} receive failed; retrying`, { error: String(error) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      return [];
    }
  }

  /** One invocation of the handler; it holds a place of the limit until its records are settled. */
  private invoke(messages: Message[]): void {
    const { limit } = this.options;
    limit.take();
    const work: Promise<void> = this.settle(messages).finally(() => {
      limit.release();
      this.running.delete(work);
    });
    this.running.add(work);
  }

  private async settle(messages: Message[]): Promise<void> {
    const { queueUrl, handler, log, name } = this.options;
    const event: SQSEvent = { Records: messages.map((m) => sqsRecordOf(m, queueUrl)) };
    try {
      const result = await handler(event);
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      await this.deletes.delete(
        event.Records.filter((record) => !failed.has(record.messageId)).map((r) => r.receiptHandle),
      );
    } catch (error) {
      log.error(`${name} source failed to settle a batch`, { error: String(error) });
    }
  }

  /** Stops receiving; waits up to `graceMs` for the invocations in flight. Returns how many were still running. */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<number> {
    this.stopping = true;
    this.receiveAbort.abort();
    this.options.limit.close();
    await Promise.allSettled(this.loops);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      ...(Number.isFinite(graceMs)
        ? [
            new Promise((resolve) => {
              timer = setTimeout(resolve, graceMs);
            }),
          ]
        : []),
    ]);
    clearTimeout(timer);
    return this.running.size;
  }
}

/**
 * A received SQS message as the record Lambda's SQS event source would hand a handler, so the
 * local sources run the same batch logic as the deployed functions. `ApproximateReceiveCount`
 * is carried (the notifier counts delivery attempts with it).
 */
export function sqsRecordOf(message: Message, queueUrl: string): SQSRecord {
  const receiveCount = message.Attributes?.ApproximateReceiveCount;
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: (receiveCount === undefined
      ? {}
      : { ApproximateReceiveCount: receiveCount }) as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueUrl,
    awsRegion: 'us-east-1',
  };
}
