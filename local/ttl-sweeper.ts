import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLES } from '../lambdas/adapters/dynamo-tables.js';
import type { StreamBatchReport } from '../lambdas/archiver/stream-batch.js';
import type { Clock } from '../lambdas/core/ports/clock.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import { type StreamRecord, TTL_PRINCIPAL } from '../schemas/stream.js';
import { Periodic } from './periodic.js';

export interface SweepReport {
  deleted: number;
  archived: number;
  /** Records the archiver could not write this time; kept and offered again on the next sweep. */
  retrying: number;
}

const E = TABLES.executions;

type Image = Record<string, AttributeValue>;

/** What the journal keeps of an execution the sweeper is about to delete, or deleted and has not archived yet. */
interface JournalEntry {
  key: Image;
  image: Image;
}

/**
 * Plays DynamoDB's TTL and stream locally. In AWS, TTL deletes expired items in the background
 * (within about 48 h) and the stream hands their old images to the archiver Lambda; dynalite has
 * neither, so every interval this scans the Executions table for `expiresAt` ≤ now — a Scan with
 * a filter is fine for a laptop-sized table and is never done in AWS —, deletes each item on the
 * condition that it is still expired (a replayed dead letter drops its `expiresAt` and survives),
 * and passes the old images to the archiver's stream-batch code as stream records shaped like AWS's
 * (one Scan page, one stream batch: one staging object).
 *
 * DynamoDB keeps a stream record for 24 h; a process has only its memory. With `journalPath`, the
 * images of a page are written to a file before they are deleted and the file is cleared once they
 * are archived, so a crash (kill -9) between the delete and the archive loses no history: the
 * first sweep after a restart archives the journaled executions that are no longer in the table.
 */
export class TtlSweeper {
  private readonly periodic: Periodic<SweepReport>;
  /** Deleted but not yet archived: the stream's retry, kept in memory. */
  private retry: StreamRecord[] = [];
  private sequence = 0;
  private journalReplayed = false;
  private journalWritten = false;

  constructor(
    private readonly options: {
      client: DynamoDBClient;
      table: string;
      /** The archiver's part: a stream batch in, the records to retry out (lambdas/archiver/stream-batch.ts). */
      archiver: (
        records: StreamRecord[],
      ) => Promise<Pick<StreamBatchReport, 'archived' | 'batchItemFailures'>>;
      clock: Clock;
      intervalMs: number;
      log: Logger;
      /** Write-ahead file of the images being swept (the local stream's retention); none: memory only. */
      journalPath?: string;
    },
  ) {
    this.periodic = new Periodic(
      () =>
        this.sweepOnce().catch((error: unknown) => {
          this.options.log.error('ttl sweep failed', { error: String(error) });
          throw error;
        }),
      this.options.intervalMs,
    );
  }

  start(): void {
    this.periodic.start();
  }

  /** One pass (or joins the pass in progress). */
  sweep(): Promise<SweepReport> {
    return this.periodic.run();
  }

  async stop(): Promise<void> {
    await this.periodic.stop();
    if (this.retry.length > 0) {
      this.options.log.error('executions deleted by the sweeper but not archived at shutdown', {
        executions: this.retry.map((r) => r.dynamodb.Keys),
      });
    }
  }

  /** Each Scan page is deleted, then archived as one stream batch: the archive lags a page, not the table. */
  private async sweepOnce(): Promise<SweepReport> {
    const nowSeconds = Math.floor(this.options.clock.now() / 1000);
    const report: SweepReport = { deleted: 0, archived: 0, retrying: 0 };
    if (!this.journalReplayed) {
      report.archived += await this.archiveRecords(await this.journaledRemovals(nowSeconds));
      this.journalReplayed = true;
    }
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const records: StreamRecord[] = [...this.retry];
      this.retry = [];
      let failure: unknown;
      try {
        const page = await this.options.client.send(
          new ScanCommand({
            TableName: this.options.table,
            FilterExpression: '#e <= :now',
            ExpressionAttributeNames: { '#e': E.ttlAttribute },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
            ExclusiveStartKey: startKey,
          }),
        );
        const expired = page.Items ?? [];
        await this.writeJournal([
          ...records.map(entryOf),
          ...expired.map((image) => ({ key: keyOf(image), image })),
        ]);
        for (const image of expired) {
          const record = await this.remove(keyOf(image), nowSeconds);
          if (record) {
            records.push(record);
            report.deleted++;
          }
        }
        startKey = page.LastEvaluatedKey;
      } catch (error) {
        // What this page deleted before the failure is archived all the same; the rest waits for the next sweep.
        failure = error;
      }
      report.archived += await this.archiveRecords(records);
      await this.writeJournal(this.retry.map(entryOf));
      if (failure !== undefined) throw failure;
    } while (startKey);
    report.retrying = this.retry.length;
    return report;
  }

  /**
   * The journal left by a previous process: the executions it names that are gone from the table
   * were deleted and perhaps not archived, so they are archived now (at worst a second copy of a
   * row, which readers count once); those still in the table were never deleted and wait for a sweep.
   */
  private async journaledRemovals(nowSeconds: number): Promise<StreamRecord[]> {
    const path = this.options.journalPath;
    if (!path) return [];
    let entries: JournalEntry[];
    try {
      entries = JSON.parse(await readFile(path, 'utf8')) as JournalEntry[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    this.journalWritten = true;
    const records: StreamRecord[] = [];
    for (const entry of entries) {
      const found = await this.options.client.send(
        new GetItemCommand({ TableName: this.options.table, Key: entry.key, ConsistentRead: true }),
      );
      if (!found.Item) records.push(this.streamRecord(entry.key, entry.image, nowSeconds));
    }
    if (records.length > 0) {
      this.options.log.warn('archiving executions swept before a crash', { executions: records.length });
    }
    return records;
  }

  /** Replaces the journal (write, then rename: never a torn file); an empty journal is removed. */
  private async writeJournal(entries: JournalEntry[]): Promise<void> {
    const path = this.options.journalPath;
    if (!path || (entries.length === 0 && !this.journalWritten)) return;
    if (entries.length === 0) {
      await rm(path, { force: true });
      this.journalWritten = false;
      return;
    }
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify(entries));
    await rename(temp, path);
    this.journalWritten = true;
  }

  /** Hands records to the archiver; those it could not write are kept for the next sweep. */
  private async archiveRecords(records: StreamRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    try {
      const result = await this.options.archiver(records);
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      this.retry.push(...records.filter((r) => failed.has(r.dynamodb.SequenceNumber)));
      return result.archived;
    } catch (error) {
      this.options.log.error('archiving swept executions failed; retrying on the next sweep', {
        error: String(error),
      });
      this.retry.push(...records);
      return 0;
    }
  }

  /** Deletes one item if it is still expired and returns the REMOVE record DynamoDB's TTL would stream. */
  private async remove(
    key: Record<string, AttributeValue>,
    nowSeconds: number,
  ): Promise<StreamRecord | null> {
    try {
      const out = await this.options.client.send(
        new DeleteItemCommand({
          TableName: this.options.table,
          Key: key,
          ConditionExpression: '#e <= :now',
          ExpressionAttributeNames: { '#e': E.ttlAttribute },
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (!out.Attributes) return null;
      return this.streamRecord(key, out.Attributes, nowSeconds);
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return null;
      throw error;
    }
  }

  private streamRecord(
    keys: Record<string, AttributeValue>,
    oldImage: Record<string, AttributeValue>,
    nowSeconds: number,
  ): StreamRecord {
    // Stream sequence numbers are increasing decimal strings; time first keeps them increasing across restarts.
    const sequenceNumber = `${String(this.options.clock.now()).padStart(15, '0')}${String(++this.sequence).padStart(9, '0')}`;
    return {
      eventID: sequenceNumber,
      eventName: 'REMOVE',
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: 'local',
      userIdentity: { type: 'Service', principalId: TTL_PRINCIPAL },
      dynamodb: {
        ApproximateCreationDateTime: nowSeconds,
        Keys: keys,
        OldImage: oldImage,
        SequenceNumber: sequenceNumber,
        StreamViewType: 'OLD_IMAGE',
      },
    };
  }
}

function keyOf(image: Image): Image {
  const job = image[E.partitionKey];
  const at = image[E.sortKey];
  if (!job || !at) throw new Error(`an execution item without ${E.partitionKey} and ${E.sortKey}`);
  return { [E.partitionKey]: job, [E.sortKey]: at };
}

function entryOf(record: StreamRecord): JournalEntry {
  return { key: record.dynamodb.Keys as Image, image: record.dynamodb.OldImage as Image };
}
