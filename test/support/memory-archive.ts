import type { ArchiveObject, ArchivePartition, HistoryArchive } from '../../lambdas/core/history.js';
import { dateOfSegment, datePrefix, jobPrefix } from '../../lambdas/core/history.js';
import type { ArchiveRow } from '../../schemas/archive.js';

/** In-memory HistoryArchive (passes the same conformance suite as the S3 and file adapters). */
export class MemoryHistoryArchive implements HistoryArchive {
  readonly objects = new Map<string, ArchiveRow[]>();
  /** Inject failures: called before every write. */
  beforePut: (key: string) => void = () => {};
  /** Partitions listed (any read of the archive starts with one). */
  reads = 0;
  /** Objects read. */
  objectReads = 0;

  async putObject(object: ArchiveObject): Promise<void> {
    this.beforePut(object.key);
    this.objects.set(object.key, structuredClone(object.rows));
  }

  async listDates(tenant: string, jobId: string): Promise<string[]> {
    const prefix = jobPrefix(tenant, jobId);
    const dates = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const date = dateOfSegment(key.slice(prefix.length).split('/')[0] ?? '');
      if (date) dates.add(date);
    }
    return [...dates].sort();
  }

  async listObjects(partition: ArchivePartition): Promise<string[]> {
    this.reads++;
    const prefix = datePrefix(partition);
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async readObject(key: string): Promise<ArchiveRow[]> {
    this.objectReads++;
    return structuredClone(this.objects.get(key) ?? []);
  }

  /** Every archived row, objects in key order (what Athena would read). */
  allRows(): ArchiveRow[] {
    return [...this.objects.keys()].sort().flatMap((key) => this.objects.get(key) ?? []);
  }
}
