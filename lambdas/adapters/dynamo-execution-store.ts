import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ExecutionRecord } from '../../schemas/records.js';
import type { ExecutionFilter, ExecutionStore } from '../core/ports/execution-store.js';
import type { Page } from '../core/ports/page.js';
import { decodeCursor, isConditionFailed } from './dynamo-common.js';
import { executionItemOf, executionOfItem } from './dynamo-execution-items.js';
import { queryPage } from './dynamo-query.js';
import { TABLES } from './dynamo-tables.js';

const T = TABLES.executions;

/**
 * Executions in their table: a job's history on the `byJob` index, what a watcher may have to
 * re-send on `pending`, dead letters on `dead`. Today every transition is the same conditional put
 * of the whole item; the port names them apart so each can become the write it needs.
 */
export class DynamoExecutionStore implements ExecutionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createExecution(item: ExecutionRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: executionItemOf(item),
          ConditionExpression: 'attribute_not_exists(executionId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async getExecution(executionId: string): Promise<ExecutionRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { executionId }, ConsistentRead: true }),
    );
    return out.Item ? executionOfItem(out.Item) : null;
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionRecord[]> {
    const found: ExecutionRecord[] = [];
    const unique = [...new Set(executionIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((executionId) => ({ executionId }));
      for (let tries = 0; keys && keys.length > 0 && tries < 8; tries++) {
        const out: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }),
        );
        for (const raw of out.Responses?.[this.table] ?? []) found.push(executionOfItem(raw));
        keys = out.UnprocessedKeys?.[this.table]?.Keys;
      }
      if (keys && keys.length > 0) throw new Error('BatchGetItem left keys unprocessed after retries');
    }
    return found;
  }

  claim(claimed: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.putAtRev(claimed, expectedRev);
  }

  extendLease(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.putAtRev(execution, expectedRev);
  }

  recordOutcome(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.putAtRev(execution, expectedRev);
  }

  requestCancel(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.putAtRev(execution, expectedRev);
  }

  replay(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.putAtRev(execution, expectedRev);
  }

  deferSweep(execution: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return this.putAtRev(execution, expectedRev);
  }

  /** The whole item, only if the stored `rev` is still `expectedRev`. */
  private async putAtRev(item: ExecutionRecord, expectedRev: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: executionItemOf(item),
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':rev': expectedRev },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async listByJob(
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionRecord>> {
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
      executionOfItem,
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
  ): Promise<Page<ExecutionRecord>> {
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
      executionOfItem,
      decodeCursor(options.cursor, {
        keys: [T.partitionKey, T.pendingPartitionKey, T.pendingSortKey],
        partition: { name: T.pendingPartitionKey, value: String(shard) },
      }),
    );
  }

  async listDead(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionRecord>> {
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
      executionOfItem,
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
