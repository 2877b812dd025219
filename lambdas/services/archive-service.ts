import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ArchiveRow } from '../../schemas/archive.js';
import { type ExecutionItem, ExecutionItem as ExecutionItemSchema } from '../../schemas/stored.js';
import { type StreamRecord, TTL_PRINCIPAL } from '../../schemas/stream.js';
import {
  type ArchivePartition,
  batchObjectKey,
  datePrefix,
  type HistoryArchive,
  partitionOf,
} from '../core/history.js';
import type { Logger } from './deps.js';
import { executionView } from './views.js';

/** Objects written in parallel per batch. */
const WRITE_WIDTH = 8;

export interface ArchiveReport {
  /** Sequence numbers of the records to retry (Lambda's partial batch response for streams). */
  batchItemFailures: { itemIdentifier: string }[];
  archived: number;
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

/** The archived line of an execution: its public resource plus the tenant it belongs to. */
export function archiveRowOf(item: ExecutionItem): ArchiveRow {
  return { tenant: item.tenant, ...executionView(item) };
}

interface Removal {
  sequenceNumber: string;
  item: ExecutionItem;
}

interface Group {
  partition: ArchivePartition;
  removals: Removal[];
}

/**
 * The archiver: keeps the TTL removals of a stream batch, writes one gzip JSON Lines object per
 * (tenant, job, date) partition, and reports the records of every object that failed so Lambda
 * retries from the first of them. Object keys are deterministic (see `batchObjectKey`), so a
 * batch delivered again rewrites the same objects instead of adding rows.
 */
export class ArchiveService {
  constructor(
    private readonly archive: HistoryArchive,
    private readonly log: Logger,
  ) {}

  async archiveRecords(records: StreamRecord[]): Promise<ArchiveReport> {
    const report: ArchiveReport = {
      batchItemFailures: [],
      archived: 0,
      objects: 0,
      ignored: 0,
      unreadable: 0,
    };
    const groups = new Map<string, Group>();
    for (const record of records) {
      if (!isTtlRemoval(record)) {
        report.ignored++;
        continue;
      }
      const item = this.decode(record);
      if (!item) {
        report.unreadable++;
        continue;
      }
      const partition = partitionOf(item);
      const id = datePrefix(partition);
      const group = groups.get(id) ?? { partition, removals: [] };
      group.removals.push({ sequenceNumber: record.dynamodb.SequenceNumber, item });
      groups.set(id, group);
    }
    const pending = [...groups.values()];
    let next = 0;
    const lanes = Array.from({ length: Math.min(WRITE_WIDTH, pending.length) }, async () => {
      while (next < pending.length) {
        const group = pending[next++]!;
        try {
          await this.write(group);
          report.objects++;
          report.archived += group.removals.length;
        } catch (error) {
          this.log.error('archive write failed; its records will be retried', {
            partition: datePrefix(group.partition),
            records: group.removals.length,
            error: String(error),
          });
          for (const removal of group.removals)
            report.batchItemFailures.push({ itemIdentifier: removal.sequenceNumber });
        }
      }
    });
    await Promise.all(lanes);
    return report;
  }

  private write(group: Group): Promise<void> {
    const { removals, partition } = group;
    const rows = removals.map((r) => archiveRowOf(r.item));
    return this.archive.putObject({
      key: batchObjectKey(partition, removals[0]!.sequenceNumber, rows),
      rows,
    });
  }

  private decode(record: StreamRecord): ExecutionItem | null {
    const image = record.dynamodb.OldImage;
    try {
      if (!image) throw new Error('the record has no OldImage (is the stream view OLD_IMAGE?)');
      return ExecutionItemSchema.parse(unmarshall(image as Record<string, AttributeValue>));
    } catch (error) {
      this.log.error('TTL removal without a readable execution image; dropped', {
        sequenceNumber: record.dynamodb.SequenceNumber,
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    }
  }
}
