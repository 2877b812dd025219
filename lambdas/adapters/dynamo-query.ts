import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../core/ports/page.js';
import { decodeCursor, encodeCursor } from './dynamo-common.js';

const MAX_ROUND_TRIPS = 20;

/**
 * Runs a Query until `limit` items passed its filter or the partition ends. Each round trip asks
 * for no more than the items still wanted, so LastEvaluatedKey is always a valid place to resume.
 */
export async function queryPage<T>(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit: number,
  parse: (item: Record<string, unknown>) => T,
  startKey?: Record<string, unknown>,
): Promise<Page<T>> {
  const items: T[] = [];
  let key = startKey;
  for (let trip = 0; trip < MAX_ROUND_TRIPS; trip++) {
    const out = await client.send(
      new QueryCommand({ ...input, Limit: limit - items.length, ExclusiveStartKey: key }),
    );
    for (const raw of out.Items ?? []) items.push(parse(raw));
    key = out.LastEvaluatedKey;
    if (key === undefined || items.length >= limit) break;
  }
  return { items, nextCursor: encodeCursor(key) };
}

/** One condition of a query's filter: its expression and the attribute names and values it uses. */
export interface Condition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** `status = <status>`, or no condition when no status is asked for. */
export function statusIs(status: string | undefined): Condition | null {
  return status === undefined
    ? null
    : { expression: '#status = :status', names: { '#status': 'status' }, values: { ':status': status } };
}

/**
 * A query's filter from its conditions (every one must hold; none: no filter), with the key
 * condition's own names and values merged in.
 */
export function withFilter(
  key: { names: Record<string, string>; values: Record<string, unknown> },
  conditions: (Condition | null)[],
): Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const present = conditions.filter((c): c is Condition => c !== null);
  return {
    FilterExpression: present.length ? present.map((c) => c.expression).join(' AND ') : undefined,
    ExpressionAttributeNames: Object.assign({}, key.names, ...present.map((c) => c.names)),
    ExpressionAttributeValues: Object.assign({}, key.values, ...present.map((c) => c.values)),
  };
}

/** A Query of one partition of a global secondary index (or of the table), as every list of the adapters makes it. */
export interface IndexQuery<T> {
  table: string;
  /** None: the table's own partition. */
  index?: string;
  /** The key attributes: the table's (one, or its partition and sort keys), and the index's partition and sort keys. */
  keys: { table: string | readonly string[]; partition: string; sort: string };
  /** The partition read; a cursor issued for another partition is refused (InvalidCursor). */
  partition: string;
  /** A condition on the sort key (written with `#sk`), and the values it uses. */
  sortKey?: { expression: string; values: Record<string, unknown> };
  filters?: (Condition | null)[];
  /** Sort key descending (default ascending). */
  newestFirst?: boolean;
  parse: (item: Record<string, unknown>) => T;
}

/** One page of an index partition, continuing from `cursor` (validated against the query's own key shape). */
export async function queryIndex<T>(
  client: DynamoDBDocumentClient,
  query: IndexQuery<T>,
  limit: number,
  cursor: string | undefined,
): Promise<Page<T>> {
  const { keys } = query;
  const key = {
    names: { '#pk': keys.partition, ...(query.sortKey ? { '#sk': keys.sort } : {}) },
    values: { ':pk': query.partition, ...query.sortKey?.values },
  };
  return queryPage(
    client,
    {
      TableName: query.table,
      IndexName: query.index,
      KeyConditionExpression: `#pk = :pk${query.sortKey ? ` AND ${query.sortKey.expression}` : ''}`,
      ...withFilter(key, query.filters ?? []),
      ...(query.newestFirst ? { ScanIndexForward: false } : {}),
    },
    limit,
    query.parse,
    decodeCursor(cursor, {
      keys: [...new Set([keys.table, keys.partition, keys.sort].flat())],
      partition: { name: keys.partition, value: query.partition },
    }),
  );
}
