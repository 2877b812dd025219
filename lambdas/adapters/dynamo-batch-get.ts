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

interface WaitingRead {
  keys: Record<string, unknown>[];
  resolve: (items: Record<string, unknown>[]) => void;
  reject: (error: unknown) => void;
}

/** Reads asked for in the current tick, per client and table, not yet sent. */
const gathering = new WeakMap<DynamoDBDocumentClient, Map<string, WaitingRead[]>>();

/**
 * `batchGetAll` (eventually consistent) for a table keyed by `keyName` alone, where the reads that
 * adapters of one client ask for in the same tick go out as one BatchGetItem: the executor's read
 * of a batch's jobs and of their dependency edges (two ports, one Jobs table) is one request.
 * Each caller gets the items of its own keys.
 */
export function batchGetShared<T>(
  client: DynamoDBDocumentClient,
  table: string,
  keyName: string,
  keys: Record<string, unknown>[],
  parse: (item: Record<string, unknown>) => T | null,
): Promise<T[]> {
  if (keys.length === 0) return Promise.resolve([]);
  const byTable = gathering.get(client) ?? new Map<string, WaitingRead[]>();
  gathering.set(client, byTable);
  const waiting = byTable.get(table);
  const items = new Promise<Record<string, unknown>[]>((resolve, reject) => {
    const read = { keys, resolve, reject };
    if (waiting) {
      waiting.push(read);
      return;
    }
    byTable.set(table, [read]);
    queueMicrotask(() => {
      const reads = byTable.get(table) ?? [];
      byTable.delete(table);
      void sendTogether(client, table, keyName, reads);
    });
  });
  return items.then((found) => found.flatMap((raw) => parse(raw) ?? []));
}

async function sendTogether(
  client: DynamoDBDocumentClient,
  table: string,
  keyName: string,
  reads: WaitingRead[],
): Promise<void> {
  const unique = new Map(reads.flatMap((r) => r.keys).map((key) => [String(key[keyName]), key]));
  try {
    const found = await batchGetAll(client, table, [...unique.values()], (raw) => raw);
    for (const read of reads) {
      const mine = new Set(read.keys.map((key) => String(key[keyName])));
      read.resolve(found.filter((raw) => mine.has(String(raw[keyName]))));
    }
  } catch (error) {
    for (const read of reads) read.reject(error);
  }
}
