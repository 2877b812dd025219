import { gunzipSync, gzipSync } from 'node:zlib';
import type { ArchiveRow } from '../../schemas/archive.js';
import { parseJsonLines, toJsonLines } from '../core/history.js';

/**
 * The bytes of an archive object: gzip of JSON Lines, identical in S3 and in the local file archive.
 * Synchronous on purpose: objects are a few KB, and zlib's thread-pool hop costs more than the work.
 */
export function encodeArchiveObject(rows: ArchiveRow[]): Buffer {
  return gzipSync(Buffer.from(toJsonLines(rows), 'utf8'));
}

export function decodeArchiveObject(bytes: Uint8Array, key: string): ArchiveRow[] {
  try {
    return parseJsonLines(gunzipSync(bytes).toString('utf8'));
  } catch (error) {
    throw new Error(`archive object ${key} is unreadable: ${(error as Error).message}`);
  }
}
