import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ExecutionRecord } from '../../schemas/records.js';
import type { ExecutionFilter, ExecutionStore } from '../core/ports/execution-store.js';
import type { Page } from '../core/ports/page.js';
import { batchGetAll } from './dynamo-batch-get.js';
import { applied } from './dynamo-common.js';
import { executionItemOf, executionKeyOf, executionOfItem } from './dynamo-execution-items.js';
import { queryIndex, statusIs } from './dynamo-query.js';
import { TABLES } from './dynamo-tables.js';

const T = TABLES.executions;
const TABLE_KEY = [T.partitionKey, T.sortKey] as const;

/** The condition on `scheduledAt` (the table's sort key) of a history query, or none. */
function sortKeyRange(
  filter: ExecutionFilter,
): { expression: string; values: Record<string, string> } | null {
  if (filter.from && filter.to) {
    return { expression: '#sk BETWEEN :from AND :to', values: { ':from': filter.from, ':to': filter.to } };
  }
  if (filter.from) return { expression: '#sk >= :from', values: { ':from': filter.from } };
  if (filter.to) return { expression: '#sk <= :to', values: { ':to': filter.to } };
  return null;
}

/**
 * Executions in their table, keyed by job and scheduled instant: a job's history is a Query of its
 * partition (only its tenant reaches it: the services look the job up by tenant first), what a watcher may have to
 * re-send on `pending`, dead letters on `dead`. Today every transition is the same conditional put
 * of the whole item; the port names them apart so each can become the write it needs.
 */
export class DynamoExecutionStore implements ExecutionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  createExecution(item: ExecutionRecord): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: executionItemOf(item),
          ConditionExpression: 'attribute_not_exists(jobId)',
        }),
      ),
    );
  }

  async getExecution(executionId: string): Promise<ExecutionRecord | null> {
    const key = executionKeyOf(executionId);
    if (!key) return null;
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
    );
    return out.Item ? executionOfItem(out.Item) : null;
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionRecord[]> {
    const keys = [...new Set(executionIds)].flatMap((id) => {
      const key = executionKeyOf(id);
      return key ? [{ ...key }] : [];
    });
    return batchGetAll(this.client, this.table, keys, executionOfItem);
  }

  readonly claim = this.putAtRev;
  readonly extendLease = this.putAtRev;
  readonly recordOutcome = this.putAtRev;
  readonly requestCancel = this.putAtRev;
  readonly replay = this.putAtRev;
  readonly deferSweep = this.putAtRev;

  /** The whole item, only if the stored `rev` is still `expectedRev`. */
  private putAtRev(item: ExecutionRecord, expectedRev: number): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: executionItemOf(item),
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':rev': expectedRev },
        }),
      ),
    );
  }

  async listByJob(
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionRecord>> {
    const sortKey = sortKeyRange(filter);
    const query = {
      table: this.table,
      keys: { table: T.partitionKey, partition: T.partitionKey, sort: T.sortKey },
      partition: jobId,
      ...(sortKey ? { sortKey } : {}),
      filters: [statusIs(filter.status)],
      newestFirst: true,
      parse: executionOfItem,
    };
    return queryIndex(this.client, query, limit, cursor);
  }

  async queryPending(
    shard: number,
    upTo: string,
    limit: number,
    options: { jobId?: string; cursor?: string } = {},
  ): Promise<Page<ExecutionRecord>> {
    const query = {
      table: this.table,
      index: T.pendingIndex,
      keys: { table: TABLE_KEY, partition: T.pendingPartitionKey, sort: T.pendingSortKey },
      partition: String(shard),
      sortKey: { expression: '#sk <= :upTo', values: { ':upTo': upTo } },
      filters: [
        options.jobId ? { expression: 'jobId = :job', names: {}, values: { ':job': options.jobId } } : null,
      ],
      parse: executionOfItem,
    };
    return queryIndex(this.client, query, limit, options.cursor);
  }

  async listDead(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionRecord>> {
    const query = {
      table: this.table,
      index: T.deadIndex,
      keys: { table: TABLE_KEY, partition: T.deadPartitionKey, sort: T.deadSortKey },
      partition: tenant,
      newestFirst: true,
      parse: executionOfItem,
    };
    return queryIndex(this.client, query, limit, cursor);
  }

  async ping(): Promise<void> {
    await this.client.send(
      new GetCommand({ TableName: this.table, Key: { jobId: '#ping', scheduledAt: '#ping' } }),
    );
  }
}
