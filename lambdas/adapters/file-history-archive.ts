import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ArchiveRow } from '../../schemas/archive.js';
import {
  type ArchiveObject,
  type ArchivePartition,
  dateOfSegment,
  datePrefix,
  type HistoryArchive,
  jobPrefix,
  OBJECT_SUFFIX,
} from '../core/history.js';
import { decodeArchiveObject, encodeArchiveObject } from './archive-codec.js';

/**
 * The execution archive as files under a directory (the local runtime's `<dataDir>/archive`), in
 * exactly the S3 layout: `aws s3 sync <dataDir>/archive s3://bucket/` would give the same archive.
 * See docs/decisions/local-history-archive.md for why files rather than the S3 emulator.
 */
export class FileHistoryArchive implements HistoryArchive {
  constructor(private readonly root: string) {}

  /** Write-then-rename: a crash mid-write leaves a stray temp file, never a truncated object. */
  async putObject(object: ArchiveObject): Promise<void> {
    const path = this.pathOf(object.key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, encodeArchiveObject(object.rows));
    await rename(temp, path);
  }

  async listDates(tenant: string, jobId: string): Promise<string[]> {
    const names = await this.names(jobPrefix(tenant, jobId));
    return names.flatMap((name) => dateOfSegment(name) ?? []).sort();
  }

  async listObjects(partition: ArchivePartition): Promise<string[]> {
    const prefix = datePrefix(partition);
    return (await this.names(prefix))
      .filter((name) => name.endsWith(OBJECT_SUFFIX))
      .sort()
      .map((name) => `${prefix}${name}`);
  }

  async readObject(key: string): Promise<ArchiveRow[]> {
    try {
      return decodeArchiveObject(await readFile(this.pathOf(key)), key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Keys are built by lambdas/core/history.ts from URI-encoded values, so no segment is `..` or holds `/`. */
  private pathOf(key: string): string {
    const parts = key.split('/').filter(Boolean);
    if (parts.some((part) => part === '.' || part === '..')) throw new Error(`not an archive key: ${key}`);
    return join(this.root, ...parts);
  }

  private async names(prefix: string): Promise<string[]> {
    try {
      return await readdir(this.pathOf(prefix));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
