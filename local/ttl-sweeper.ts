import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { Clock } from '../lambdas/core/ports.js';
import type { ArchiveService } from '../lambdas/services/archive-service.js';
import type { Logger } from '../lambdas/services/deps.js';
import { TABLES } from '../lambdas/shared/config.js';
import { type StreamRecord, TTL_PRINCIPAL } from '../schemas/stream.js';

export interface SweepReport {
  deleted: number;
  archived: number;
  /** Records the archiver could not write this time; kept and offered again on the next sweep. */
  retrying: number;
}

const E = TABLES.executions;

/**
 * Plays DynamoDB's TTL and stream locally. In AWS, TTL deletes expired items in the background
 * (within about 48 h) and the stream hands their old images to the archiver Lambda; dynalite has
 * neither, so every interval this scans the Executions table for `expiresAt` ≤ now — a Scan with
 * a filter is fine for a laptop-sized table and is never done in AWS —, deletes each item on the
 * condition that it is still expired (a replayed dead letter drops its `expiresAt` and survives),
 * and passes the old images to the same ArchiveService as stream records shaped like AWS's.
 */
export class TtlSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<SweepReport> | undefined;
  /** Deleted but not yet archived: the stream's retry, kept in memory. */
  private retry: StreamRecord[] = [];
  private sequence = 0;

  constructor(
    private readonly options: {
      client: DynamoDBClient;
      table: string;
      archiver: ArchiveService;
      clock: Clock;
      intervalMs: number;
      log: Logger;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), this.options.intervalMs);
    this.timer.unref();
  }

  /** One pass (or joins the pass in progress). */
  sweep(): Promise<SweepReport> {
    this.sweeping ??= this.sweepOnce()
      .catch((error: unknown) => {
        this.options.log.error('ttl sweep failed', { error: String(error) });
        throw error;
      })
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
    if (this.retry.length > 0) {
      this.options.log.error('executions deleted by the sweeper but not archived at shutdown', {
        executionIds: this.retry.map((r) => r.dynamodb.Keys?.[E.partitionKey]),
      });
    }
  }

  /** Each Scan page is deleted, then archived as one stream batch: the archive lags a page, not the table. */
  private async sweepOnce(): Promise<SweepReport> {
    const nowSeconds = Math.floor(this.options.clock.now() / 1000);
    const report: SweepReport = { deleted: 0, archived: 0, retrying: 0 };
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
            ProjectionExpression: '#k',
            ExpressionAttributeNames: { '#e': E.ttlAttribute, '#k': E.partitionKey },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const key of page.Items ?? []) {
          const record = await this.remove(key, nowSeconds);
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
      report.archived += await this.archive(records);
      if (failure !== undefined) throw failure;
    } while (startKey);
    report.retrying = this.retry.length;
    return report;
  }

  /** Hands records to the archiver; those it could not write are kept for the next sweep. */
  private async archive(records: StreamRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    try {
      const result = await this.options.archiver.archiveRecords(records);
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
