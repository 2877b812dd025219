import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ExecutionItem, ExecutionItem as ExecutionItemSchema } from '../../schemas/stored.js';
import { ConditionFailed } from '../core/errors.js';
import type { ExecutionFilter, ExecutionStore } from '../core/ports/execution-store.js';
import type { Page } from '../core/ports/page.js';
import { TABLES } from '../shared/config.js';
import { decodeCursor, isConditionFailed } from './dynamo-common.js';
import { queryPage } from './dynamo-query.js';

const T = TABLES.executions;
const parseExecution = (raw: Record<string, unknown>): ExecutionItem => ExecutionItemSchema.parse(raw);

export class DynamoExecutionStore implements ExecutionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createExecution(item: ExecutionItem): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(executionId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async getExecution(executionId: string): Promise<ExecutionItem | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { executionId }, ConsistentRead: true }),
    );
    return out.Item ? parseExecution(out.Item) : null;
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionItem[]> {
    const found: ExecutionItem[] = [];
    const unique = [...new Set(executionIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((executionId) => ({ executionId }));
      for (let tries = 0; keys && keys.length > 0 && tries < 8; tries++) {
        const out: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }),
        );
        for (const raw of out.Responses?.[this.table] ?? []) found.push(parseExecution(raw));
        keys = out.UnprocessedKeys?.[this.table]?.Keys;
      }
      if (keys && keys.length > 0) throw new Error('BatchGetItem left keys unprocessed after retries');
    }
    return found;
  }

  async replaceExecution(item: ExecutionItem, expectedRev: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':rev': expectedRev },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error))
        throw new ConditionFailed(`execution ${item.executionId} changed concurrently`);
      throw error;
    }
  }

  async listByJob(
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionItem>> {
    const names: Record<string, string> = { '#j': T.byJobPartitionKey };
    const values: Record<string, unknown> = { ':job': jobId };
    let range = '';
    if (filter.from && filter.to) {
      range = ' AND #s BETWEEN :from AND :to';
      values[':from'] = filter.from;
      values[':to'] = filter.to;
    } else if (filter.from) {
      range = ' AND #s >= :from';
      values[':from'] = filter.from;
    } else if (filter.to) {
      range = ' AND #s <= :to';
      values[':to'] = filter.to;
    }
    if (range) names['#s'] = T.byJobSortKey;
    if (filter.status) {
      names['#status'] = 'status';
      values[':status'] = filter.status;
    }
    return queryPage(
      this.client,
      {
        TableName: this.table,
        IndexName: T.byJobIndex,
        KeyConditionExpression: `#j = :job${range}`,
        FilterExpression: filter.status ? '#status = :status' : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
      },
      limit,
      parseExecution,
      decodeCursor(cursor, {
        keys: [T.partitionKey, T.byJobPartitionKey, T.byJobSortKey],
        partition: { name: T.byJobPartitionKey, value: jobId },
      }),
    );
  }

  async queryPending(
    shard: number,
    upTo: string,
    limit: number,
    options: { jobId?: string; cursor?: string } = {},
  ): Promise<Page<ExecutionItem>> {
    return queryPage(
      this.client,
      {
        TableName: this.table,
        IndexName: T.pendingIndex,
        KeyConditionExpression: '#p = :shard AND #a <= :upTo',
        FilterExpression: options.jobId ? 'jobId = :job' : undefined,
        ExpressionAttributeNames: { '#p': T.pendingPartitionKey, '#a': T.pendingSortKey },
        ExpressionAttributeValues: {
          ':shard': String(shard),
          ':upTo': upTo,
          ...(options.jobId ? { ':job': options.jobId } : {}),
        },
      },
      limit,
      parseExecution,
      decodeCursor(options.cursor, {
        keys: [T.partitionKey, T.pendingPartitionKey, T.pendingSortKey],
        partition: { name: T.pendingPartitionKey, value: String(shard) },
      }),
    );
  }

  async listDead(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionItem>> {
    return queryPage(
      this.client,
      {
        TableName: this.table,
        IndexName: T.deadIndex,
        KeyConditionExpression: '#d = :tenant',
        ExpressionAttributeNames: { '#d': T.deadPartitionKey },
        ExpressionAttributeValues: { ':tenant': tenant },
        ScanIndexForward: false,
      },
      limit,
      parseExecution,
      decodeCursor(cursor, {
        keys: [T.partitionKey, T.deadPartitionKey, T.deadSortKey],
        partition: { name: T.deadPartitionKey, value: tenant },
      }),
    );
  }

  async ping(): Promise<void> {
    await this.client.send(new GetCommand({ TableName: this.table, Key: { executionId: '#ping' } }));
  }
}
