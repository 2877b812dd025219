import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeCursorJson, encodeCursorJson } from '../core/cursor.js';
import { InvalidCursor } from '../core/errors.js';

export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Whether a conditional write took effect: false when its condition failed; any other error is thrown. */
export async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

type Key = Record<string, unknown>;

export function encodeCursor(key: Key | undefined): string | null {
  return key === undefined ? null : encodeCursorJson(key);
}

/** What a query's LastEvaluatedKey holds: the table's and the index's key attributes (all strings). */
export interface CursorShape {
  keys: readonly string[];
  /** The partition the query reads: a cursor of another one (another tenant's list) is refused. */
  partition?: { name: string; value: string };
}

/** DynamoDB's limit for a sort key value (partition keys may take 2 KiB; none of ours comes near). */
const MAX_KEY_BYTES = 1024;

/**
 * The start key a cursor names, fully validated: exactly the key attributes of this query, each a
 * non-empty string DynamoDB accepts as a key, in the query's partition. Anything else — an extra or
 * missing attribute, another type, another list's or tenant's cursor — is InvalidCursor (400), never
 * a ValidationException from DynamoDB (500). A well-formed cursor can only start the caller's own
 * list somewhere in it (docs/decisions/cursors.md).
 */
export function decodeCursor(cursor: string | undefined, shape: CursorShape): Key | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const key = decodeCursorJson(cursor);
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new InvalidCursor();
  const names = Object.keys(key);
  if (names.length !== shape.keys.length || !shape.keys.every((name) => Object.hasOwn(key, name))) {
    throw new InvalidCursor();
  }
  for (const value of Object.values(key)) {
    if (typeof value !== 'string' || value === '' || Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) {
      throw new InvalidCursor();
    }
  }
  const { partition } = shape;
  if (partition && (key as Key)[partition.name] !== partition.value) throw new InvalidCursor();
  return key as Key;
}
