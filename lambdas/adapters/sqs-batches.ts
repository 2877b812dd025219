import {
  SendMessageBatchCommand,
  type SendMessageBatchRequest,
  type SendMessageBatchResult,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SQS takes at most ten entries per batch request. */
export const SQS_BATCH = 10;
const MAX_TRIES = 5;
const MAX_DELAY_SECONDS = 900;

/** One SendMessageBatch request by another way than an SDK client (the local replay's bulk channel). */
export type SendMessageBatch = (input: SendMessageBatchRequest) => Promise<SendMessageBatchResult>;

export interface OutgoingMessage {
  body: string;
  delaySeconds: number;
  /** The batch entry's id (unique in the batch); @default its position in the batch */
  id?: string;
}

/** `items` in slices of ten, each handed to `send`, all at once; throws the first failure once every slice settled. */
export async function inSlicesOfTen<T>(items: T[], send: (slice: T[]) => Promise<void>): Promise<void> {
  const slices: Promise<void>[] = [];
  for (let i = 0; i < items.length; i += SQS_BATCH) slices.push(send(items.slice(i, i + SQS_BATCH)));
  const results = await Promise.allSettled(slices);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Sends up to ten messages in one SendMessageBatch (through an SDK client, or `to` itself) and
 * resends the entries SQS refused for a passing reason; a refusal that is the sender's fault, or
 * entries still refused after five tries, throw (`queue` names the queue in the error).
 */
export async function sendBatch(
  to: SQSClient | SendMessageBatch,
  queueUrl: string,
  messages: OutgoingMessage[],
  queue: string,
): Promise<void> {
  const send: SendMessageBatch =
    typeof to === 'function' ? to : (input) => to.send(new SendMessageBatchCommand(input));
  let pending = messages.map((message, index) => ({ id: message.id ?? String(index), message }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const out = await send({
      QueueUrl: queueUrl,
      Entries: pending.map(({ id, message }) => ({
        Id: id,
        MessageBody: message.body,
        DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.floor(message.delaySeconds))),
      })),
    });
    const senderFault = (out.Failed ?? []).find((f) => f.SenderFault);
    if (senderFault)
      throw new Error(`${queue} refused a message: ${senderFault.Code} ${senderFault.Message ?? ''}`);
    const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
    pending = pending.filter(({ id }) => failedIds.has(id));
    if (pending.length > 0 && attempt >= MAX_TRIES) {
      throw new Error(`${queue} failed to accept ${pending.length} messages after ${MAX_TRIES} tries`);
    }
  }
}
