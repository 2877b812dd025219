import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationFailed } from '../core/errors.js';

export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

type Key = Record<string, unknown>;

export function encodeCursor(key: Key | undefined): string | null {
  return key === undefined ? null : Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Cursors are opaque to clients but must not let one query continue another's partition
 * (another tenant's list): the partition attribute of the decoded key must match.
 */
export function decodeCursor(
  cursor: string | undefined,
  partition?: { name: string; value: string },
): Key | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalidCursor();
  for (const value of Object.values(key)) {
    if (typeof value !== 'string' && typeof value !== 'number') throw invalidCursor();
  }
  if (partition && (key as Key)[partition.name] !== partition.value) throw invalidCursor();
  return key as Key;
}

function invalidCursor(): ValidationFailed {
  return new ValidationFailed('cursor is not valid for this list', [
    { path: 'cursor', message: 'invalid cursor' },
  ]);
}
