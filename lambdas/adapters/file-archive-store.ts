import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { ArchiveStore, ByteRange, StoredObject } from '../core/ports/archive-store.js';

const TEMP = /\.[0-9a-f]{12}\.tmp$/;

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * The execution archive as files under a directory (the local runtime's `<dataDir>/archive`), one
 * file per key: `aws s3 sync <dataDir>/archive s3://bucket/` gives the same archive.
 * See docs/decisions/local-history-archive.md for why files rather than the S3 emulator.
 */
export class FileArchiveStore implements ArchiveStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * Write, then rename (replace) or link (create only if absent, atomically): a crash mid-write
   * leaves a stray temp file, never a truncated object.
   */
  async put(key: string, body: Uint8Array, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    const path = this.pathOf(key);
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await this.writeCreatingDirectory(temp, body);
    if (!options.ifAbsent) {
      await rename(temp, path);
      return true;
    }
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if (code(error) === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array | null> {
    try {
      if (!range) return await readFile(this.pathOf(key));
      const file = await open(this.pathOf(key), 'r');
      try {
        const buffer = Buffer.alloc(range.end - range.start + 1);
        const { bytesRead } = await file.read(buffer, 0, buffer.length, range.start);
        return buffer.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    } catch (error) {
      if (code(error) === 'ENOENT') return null;
      throw error;
    }
  }

  async list(prefix: string, options: { startAfter?: string } = {}): Promise<StoredObject[]> {
    // Prefixes end at a key segment (`…/`), so the prefix is a directory.
    const dir = this.pathOf(prefix);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (code(error) === 'ENOENT') return [];
      throw error;
    }
    const keys = entries
      .filter((entry) => entry.isFile() && !TEMP.test(entry.name))
      .map((entry) => `${prefix}${relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/')}`)
      .filter((key) => options.startAfter === undefined || key > options.startAfter)
      .sort();
    const objects: StoredObject[] = [];
    for (const key of keys) {
      try {
        objects.push({ key, size: (await stat(this.pathOf(key))).size });
      } catch (error) {
        if (code(error) !== 'ENOENT') throw error; // deleted while listing
      }
    }
    return objects;
  }

  /** Deletes the files, then the directories they leave empty (a staging hour once compacted). */
  async delete(keys: string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const path = this.pathOf(key);
      await rm(path, { force: true });
      dirs.add(dirname(path));
    }
    for (const dir of [...dirs].sort().reverse()) await this.removeEmpty(dir);
  }

  /** Keys are built from URI-encoded values (archive-layout.ts), so no segment is `..` or holds `/`. */
  private pathOf(key: string): string {
    const parts = key.split('/').filter(Boolean);
    if (parts.some((part) => part === '.' || part === '..')) throw new Error(`not an archive key: ${key}`);
    return join(this.root, ...parts);
  }

  private async writeCreatingDirectory(path: string, body: Uint8Array): Promise<void> {
    // A concurrent delete may remove the directory between mkdir and the write: create it again once.
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(path, body);
        return;
      } catch (error) {
        if (code(error) !== 'ENOENT' || attempt === 2) throw error;
      }
    }
  }

  /** Removes `dir` and its parents while they are empty, never the root. */
  private async removeEmpty(dir: string): Promise<void> {
    for (let at = dir; at.startsWith(this.root) && at !== this.root; at = dirname(at)) {
      try {
        await rmdir(at);
      } catch (error) {
        if (['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(code(error) ?? '')) return;
        throw error;
      }
    }
  }
}
