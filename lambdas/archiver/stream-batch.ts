import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ExecutionRecord } from '../../schemas/records.js';
import { type StreamRecord, TTL_PRINCIPAL } from '../../schemas/stream.js';
import { executionOfItem } from '../adapters/dynamo-execution-items.js';
import { processStreamBatch } from '../batch/partial-batch.js';
import type { HistoryArchive } from '../core/ports/history-archive.js';
import type { Logger } from '../core/ports/logger.js';
import { archiveRemovals } from '../services/history/archive-rows.js';

export interface StreamBatchReport {
  /** Sequence numbers of the records to retry (Lambda's partial batch response for streams). */
  batchItemFailures: { itemIdentifier: string }[];
  archived: number;
  /** Staging objects written: one per batch that held a TTL removal. */
  objects: number;
  /** Not TTL removals: a user's delete, an insert or a modify. */
  ignored: number;
  /** TTL removals whose image is not an execution: logged and dropped, as a retry cannot fix them. */
  unreadable: number;
}

/** DynamoDB's own TTL process deleted the item (a user's DeleteItem has the caller's identity, or none). */
export function isTtlRemoval(record: StreamRecord): boolean {
  return record.eventName === 'REMOVE' && record.userIdentity?.principalId === TTL_PRINCIPAL;
}

/**
 * An Executions stream image as an execution: unmarshalled here, read as an item by the adapter that
 * owns the table's layout (dynamo-execution-items.ts), so a change of the table is made there alone.
 */
export function executionOfStreamImage(record: StreamRecord): ExecutionRecord {
  const image = record.dynamodb.OldImage;
  if (!image) throw new Error('the record has no OldImage (is the stream view OLD_IMAGE?)');
  return executionOfItem(unmarshall(image as Record<string, AttributeValue>));
}

/**
 * One stream batch of the Executions table into the archive: its TTL removals become one staging
 * object. If that write fails, every removal is reported for retry (Lambda retries from the lowest);
 * the batch delivered again writes the same object, so nothing is archived twice.
 */
export async function archiveStreamBatch(
  archive: HistoryArchive,
  records: StreamRecord[],
  log: Logger,
): Promise<StreamBatchReport> {
  const report: StreamBatchReport = {
    batchItemFailures: [],
    archived: 0,
    objects: 0,
    ignored: 0,
    unreadable: 0,
  };
  const removals: { record: StreamRecord; execution: ExecutionRecord }[] = [];
  for (const record of records) {
    if (!isTtlRemoval(record)) {
      report.ignored++;
      continue;
    }
    try {
      removals.push({ record, execution: executionOfStreamImage(record) });
    } catch (error) {
      report.unreadable++;
      log.error('TTL removal without a readable execution image; dropped', {
        sequenceNumber: record.dynamodb.SequenceNumber,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const unarchived = await writeRemovals(archive, removals, report, log);
  // The one write covers the whole batch: its removals stand or fall together, and Lambda retries
  // the stream from the first that fell. Powertools turns that into the batch response.
  const { batchItemFailures } = await processStreamBatch(records, async (record) => {
    if (unarchived.has(record)) throw new Error('the batch archive write failed');
  });
  report.batchItemFailures = batchItemFailures;
  return report;
}

/** Writes the removals as one staging object; returns the records left unarchived (all of them, when the write failed). */
async function writeRemovals(
  archive: HistoryArchive,
  removals: { record: StreamRecord; execution: ExecutionRecord }[],
  report: StreamBatchReport,
  log: Logger,
): Promise<Set<StreamRecord>> {
  if (removals.length === 0) return new Set();
  try {
    report.archived = await archiveRemovals(archive, {
      removedAt: removals.map(removedAt).reduce((a, b) => Math.min(a, b)),
      executions: removals.map((r) => r.execution),
    });
    report.objects = 1;
    return new Set();
  } catch (error) {
    log.error('archive write failed; the batch will be retried', {
      records: removals.length,
      error: String(error),
    });
    return new Set(removals.map((r) => r.record));
  }
}

/**
 * When the item left the table (epoch ms): the stream's `ApproximateCreationDateTime` (seconds), else
 * its TTL instant — both part of the record, so a redelivered batch names the same staging partition.
 */
function removedAt(removal: { record: StreamRecord; execution: ExecutionRecord }): number {
  const seconds = removal.record.dynamodb.ApproximateCreationDateTime ?? removal.execution.expiresAt ?? 0;
  return seconds * 1000;
}
