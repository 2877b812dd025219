import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import type { StreamRecord } from '../../schemas/stream.js';

/**
 * The partial-batch bookkeeping of every queue and stream handler, done by Powertools'
 * BatchProcessor: each record is handled on its own and concurrently, a record whose handler throws
 * is reported in `batchItemFailures` (SQS redelivers it alone; a stream retries from it), and a
 * batch that fails whole is reported like any other (never thrown: the handlers' metrics and
 * hand-backs still run). A processor per batch: the local pollers run batches side by side.
 */

/** A record whose body does not parse: no retry can fix it, so it goes round until its queue's DLQ takes it. */
export class UnparseableMessage extends Error {
  constructor(readonly messageId: string) {
    super(`message ${messageId} does not parse`);
  }
}

/** The record's body as `schema` reads it; UnparseableMessage for anything else (not JSON, another shape). */
export function parseBody<S extends z.ZodType>(record: SQSRecord, schema: S): z.output<S> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new UnparseableMessage(record.messageId);
  return parsed.data;
}

/** Handles an SQS batch record by record; the response names the records whose handler threw, in the batch's order. */
export async function processSqsBatch(
  event: SQSEvent,
  handle: (record: SQSRecord) => Promise<void>,
): Promise<SQSBatchResponse> {
  const response = await processPartialResponse(event, handle, new BatchProcessor(EventType.SQS), {
    throwOnFullBatchFailure: false,
  });
  return inBatchOrder(
    response,
    event.Records.map((record) => record.messageId),
  );
}

/** The failures as the records stand in the batch (the processor lists them as they finish). */
function inBatchOrder(
  response: { batchItemFailures: { itemIdentifier: string }[] },
  order: string[],
): { batchItemFailures: { itemIdentifier: string }[] } {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  return {
    batchItemFailures: order.filter((id) => failed.has(id)).map((itemIdentifier) => ({ itemIdentifier })),
  };
}

/** Handles a DynamoDB stream batch record by record; the response names (by sequence number) the records whose handler threw. */
export async function processStreamBatch(
  records: StreamRecord[],
  handle: (record: StreamRecord) => Promise<void>,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const event = { Records: records as unknown as DynamoDBRecord[] };
  const response = await processPartialResponse(
    event,
    (record: DynamoDBRecord) => handle(record as unknown as StreamRecord),
    new BatchProcessor(EventType.DynamoDBStreams),
    { throwOnFullBatchFailure: false },
  );
  return inBatchOrder(
    response,
    records.map((record) => record.dynamodb.SequenceNumber),
  );
}

/** The records a response names as failed. */
export function failedRecords(event: SQSEvent, response: SQSBatchResponse): SQSRecord[] {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  return event.Records.filter((record) => failed.has(record.messageId));
}
