import { InvalidCursor } from './errors.js';

/**
 * The wire form of every list cursor: JSON in base64url, opaque to the client. What a cursor holds
 * is each list's own affair (a DynamoDB start key, a job and an instant); each checks it on decoding.
 */
export function encodeCursorJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The JSON a cursor carries; InvalidCursor (400) when it is not base64url JSON at all. */
export function decodeCursorJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor();
  }
}
