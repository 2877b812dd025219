import type { ArchiveStore, ByteRange, StoredObject } from '../../lambdas/core/ports/archive-store.js';

type Operation = 'put' | 'get' | 'list' | 'delete';

/**
 * ArchiveStore in a Map (passes the same conformance suite as the S3 and file stores), counting
 * every call and able to fail any of them: `before(operation, key)` runs first and may throw.
 */
export class MemoryArchiveStore implements ArchiveStore {
  readonly objects = new Map<string, Uint8Array>();
  readonly calls: Record<Operation, number> = { put: 0, get: 0, list: 0, delete: 0 };
  /** Keys read, in order (ranged reads included). */
  readonly reads: string[] = [];
  before: (operation: Operation, key: string) => void | Promise<void> = () => {};

  async put(key: string, body: Uint8Array, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    this.calls.put++;
    await this.before('put', key);
    if (options.ifAbsent && this.objects.has(key)) return false;
    this.objects.set(key, new Uint8Array(body));
    return true;
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array | null> {
    this.calls.get++;
    this.reads.push(key);
    await this.before('get', key);
    const bytes = this.objects.get(key);
    if (!bytes) return null;
    return range ? bytes.slice(range.start, range.end + 1) : new Uint8Array(bytes);
  }

  async list(prefix: string, options: { startAfter?: string } = {}): Promise<StoredObject[]> {
    this.calls.list++;
    await this.before('list', prefix);
    return [...this.objects.entries()]
      .filter(
        ([key]) => key.startsWith(prefix) && (options.startAfter === undefined || key > options.startAfter),
      )
      .map(([key, bytes]) => ({ key, size: bytes.length }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async delete(keys: string[]): Promise<void> {
    this.calls.delete++;
    for (const key of keys) {
      await this.before('delete', key);
      this.objects.delete(key);
    }
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  resetCounts(): void {
    for (const operation of Object.keys(this.calls) as Operation[]) this.calls[operation] = 0;
    this.reads.length = 0;
  }
}
