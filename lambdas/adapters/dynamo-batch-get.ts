import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

/** BatchGetItem takes at most this many keys a request. */
const KEYS_PER_REQUEST = 100;
const MAX_TRIES = 8;

/**
 * Reads the items at `keys` (up to 100 a BatchGetItem, unprocessed keys asked again), eventually
 * consistent unless `consistent`; what is not there is left out. Throws when DynamoDB keeps keys
 * unprocessed after retries.
 */
export async function batchGetAll<T>(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
  parse: (item: Record<string, unknown>) => T | null,
  consistent = false,
): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_REQUEST) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + KEYS_PER_REQUEST);
    for (let tries = 0; pending && pending.length > 0 && tries < MAX_TRIES; tries++) {
      const out: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: pending, ...(consistent ? { ConsistentRead: true } : {}) } },
        }),
      );
      for (const raw of out.Responses?.[table] ?? []) {
        const item = parse(raw);
        if (item !== null) found.push(item);
      }
      pending = out.UnprocessedKeys?.[table]?.Keys;
    }
    if (pending && pending.length > 0) throw new Error('BatchGetItem left keys unprocessed after retries');
  }
  return found;
}
