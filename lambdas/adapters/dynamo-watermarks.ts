import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Watermarks } from '../core/ports/watermarks.js';
import { watermarkId } from './dynamo-job-items.js';

/** The watchers' watermarks: one small item per shard in the Jobs table. */
export class DynamoWatermarks implements Watermarks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getWatermark(shard: number): Promise<string | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { jobId: watermarkId(shard) } }),
    );
    const hour = out.Item?.hour;
    return typeof hour === 'string' ? hour : null;
  }

  async setWatermark(shard: number, hour: string): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: { jobId: watermarkId(shard), hour } }),
    );
  }
}
