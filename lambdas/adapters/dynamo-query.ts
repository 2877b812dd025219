import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../core/ports/page.js';
import { encodeCursor } from './dynamo-common.js';

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
