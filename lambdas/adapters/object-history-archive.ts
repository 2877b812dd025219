import type { ArchiveRow, PartSegment } from '../../schemas/archive.js';
import {
  boundedFilter,
  combineSlices,
  EMPTY_SLICE,
  type HistorySlice,
  matches,
  newestDistinct,
  sliceOf,
  spanMeets,
} from '../core/history.js';
import type { ArchiveStore } from '../core/ports/archive-store.js';
import type { ExecutionFilter } from '../core/ports/execution-store.js';
import type { ArchivedHistoryQuery, HistoryArchive, RemovedBatch } from '../core/ports/history-archive.js';
import { iso, ms } from '../core/time.js';
import { decodeIndex, decodeRows, decodeSegment, encodeRows } from './archive-codec.js';
import {
  digestOf,
  indexDatePrefix,
  indexKey,
  isArchiveDate,
  type PartName,
  parseIndexKey,
  parseStagingKey,
  STAGING_PREFIX,
  type StagingObject,
  shardOf,
  stagingKey,
  tenantIndexPrefix,
  utcDate,
} from './archive-layout.js';

/** Objects read at once: enough to hide S3's latency, few enough for a Lambda's sockets. */
const READ_WIDTH = 16;

/** The order of rows in every archive object: tenant, job, then scheduled time. */
export function byTenantJobTime(a: ArchiveRow, b: ArchiveRow): number {
  return (
    compare(a.tenant, b.tenant) ||
    compare(a.jobId, b.jobId) ||
    compare(a.scheduledAt, b.scheduledAt) ||
    compare(a.executionId, b.executionId)
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const nonNull = <T>(value: T | null): value is T => value !== null;

const newestLastFirst = (a: StagingObject, b: StagingObject) => compare(b.last, a.last);

/** `jobId:scheduledAt` of an execution id, or null when it names no instant an archive date holds. */
function parseExecutionId(executionId: string): { jobId: string; instant: string; date: string } | null {
  const at = executionId.indexOf(':');
  const scheduled = Date.parse(executionId.slice(at + 1));
  if (at <= 0 || Number.isNaN(scheduled)) return null;
  const instant = iso(scheduled);
  const date = instant.slice(0, 10);
  return isArchiveDate(date) ? { jobId: executionId.slice(0, at), instant, date } : null;
}

/**
 * Execution history in an object store (archive-layout.ts): each stream batch staged as one
 * object, compacted daily (archive-compactor.ts) into one part per tenant and day with a
 * byte-range index per job. Reads see both: a row still in staging, in a part, or — between a
 * compaction's index and its deletion of staging — in both, counted once.
 */
export class ObjectHistoryArchive implements HistoryArchive {
  constructor(private readonly store: ArchiveStore) {}

  /** One object per batch, named by its content: the same batch delivered again rewrites it. */
  async stage(batch: RemovedBatch): Promise<void> {
    if (batch.rows.length === 0) return;
    const rows = [...batch.rows].sort(byTenantJobTime);
    const instants = rows.map((row) => iso(ms(row.scheduledAt))).sort();
    const body = encodeRows(rows);
    const span = { first: instants[0]!, last: instants.at(-1)! };
    await this.store.put(stagingKey(batch.removedAt, span, digestOf(body)), body);
  }

  async jobSlice(query: ArchivedHistoryQuery): Promise<HistorySlice<ArchiveRow>> {
    const filter = boundedFilter(query.filter, query.before);
    if (!filter) return EMPTY_SLICE;
    const bounded = { ...query, filter };
    // Staging is listed before the parts: an object compacted and deleted after this listing had
    // its parts indexed before it left, so the compacted read (again, if one vanished) sees them.
    const staging = (await this.stagingObjects()).filter((o) => spanMeets(o, filter)).sort(newestLastFirst);
    const [staged, compacted] = await Promise.all([
      this.stagedSlice(bounded, staging),
      this.compactedSlice(bounded),
    ]);
    const parts = staged.vanished ? await this.compactedSlice(bounded) : compacted;
    return combineSlices([parts, staged.slice], query.limit);
  }

  /**
   * Typically one LIST and two GETs (the index, then the job's byte range) when compacted; else
   * the staging objects whose span holds the instant. A miss looks at the parts once more: a
   * staging object may have been compacted and deleted between the two reads.
   */
  async find(tenant: string, executionId: string): Promise<ArchiveRow | null> {
    const id = parseExecutionId(executionId);
    if (!id) return null;
    const wanted = (row: ArchiveRow) => row.executionId === executionId && row.tenant === tenant;
    const inParts = async () => {
      const parts = (await this.store.list(indexDatePrefix(tenant, id.date)))
        .map((o) => parseIndexKey(o.key))
        .filter(nonNull)
        .filter((p) => p.shard === shardOf(tenant, id.jobId, p.shards));
      const rows = await this.jobRows(parts, id.jobId, { from: id.instant, to: id.instant });
      return rows.find(wanted) ?? null;
    };
    const compacted = await inParts();
    if (compacted) return compacted;
    const staging = (await this.stagingObjects()).filter(
      (o) => o.first <= id.instant && id.instant <= o.last,
    );
    for (let i = 0; i < staging.length; i += READ_WIDTH) {
      const objects = await Promise.all(staging.slice(i, i + READ_WIDTH).map((o) => this.rowsOf(o.key)));
      const row = objects.flatMap((rows) => rows ?? []).find(wanted);
      if (row) return row;
    }
    return inParts();
  }

  private async stagingObjects(): Promise<StagingObject[]> {
    return (await this.store.list(STAGING_PREFIX)).map((o) => parseStagingKey(o.key)).filter(nonNull);
  }

  /**
   * Staging objects hold every job's rows, so each one that can hold a row of the page is read,
   * newest span first, until more than `limit` rows are found and no unread object can hold a
   * newer one. `vanished`: an object listed was gone when read (compacted meanwhile).
   */
  private async stagedSlice(
    q: ArchivedHistoryQuery,
    objects: StagingObject[],
  ): Promise<{ slice: HistorySlice<ArchiveRow>; vanished: boolean }> {
    let found: ArchiveRow[] = [];
    let vanished = false;
    for (let next = 0; next < objects.length; next += READ_WIDTH) {
      const floor = found.length > q.limit ? found[q.limit]!.scheduledAt : undefined;
      const wave = objects
        .slice(next, next + READ_WIDTH)
        .filter((o) => floor === undefined || o.last >= floor);
      if (wave.length === 0) break;
      for (const rows of await Promise.all(wave.map((o) => this.rowsOf(o.key)))) {
        if (rows === null) vanished = true;
        else found.push(...rows.filter((r) => r.tenant === q.tenant && r.jobId === q.jobId));
      }
      found = newestDistinct(
        found.filter((r) => matches(r, q.filter)),
        q.limit + 1,
      );
    }
    return { slice: sliceOf(found, q.limit), vanished };
  }

  /**
   * The job's parts, newest date first; per date, its indexes (one per compaction run that found
   * rows of that day) and then only the job's byte ranges. Older dates hold only older rows, so it
   * stops at the first date after which more than `limit` rows are found.
   */
  private async compactedSlice(q: ArchivedHistoryQuery): Promise<HistorySlice<ArchiveRow>> {
    const { tenant, jobId, filter, limit } = q;
    const fromDate = filter.from === undefined ? undefined : utcDate(filter.from);
    const toDate = filter.to === undefined ? undefined : utcDate(filter.to);
    const prefix = tenantIndexPrefix(tenant);
    const parts = (
      await this.store.list(prefix, fromDate === undefined ? {} : { startAfter: `${prefix}date=${fromDate}` })
    )
      .map((o) => parseIndexKey(o.key))
      .filter(nonNull)
      .filter(
        (p) =>
          (toDate === undefined || p.date <= toDate) &&
          (fromDate === undefined || p.date >= fromDate) &&
          p.shard === shardOf(tenant, jobId, p.shards),
      );
    const dates = [...new Set(parts.map((p) => p.date))].sort().reverse();
    let found: ArchiveRow[] = [];
    for (const date of dates) {
      const rows = await this.jobRows(
        parts.filter((p) => p.date === date),
        jobId,
        filter,
      );
      found = newestDistinct(
        [...found, ...rows.filter((r) => r.tenant === tenant && matches(r, filter))],
        limit + 1,
      );
      if (found.length > limit) break;
    }
    return sliceOf(found, limit);
  }

  /** The rows of a job in the given parts whose span meets the filter's instants: index GETs, then range GETs. */
  private async jobRows(parts: PartName[], jobId: string, filter: ExecutionFilter): Promise<ArchiveRow[]> {
    const indexes = await Promise.all(parts.map((p) => this.indexOf(p)));
    const wanted = indexes
      .filter(nonNull)
      .flatMap((index) =>
        index.segments
          .filter((s) => s.jobId === jobId && spanMeets(s, filter))
          .map((segment) => ({ part: index.part, segment })),
      );
    const rows = await Promise.all(wanted.map((w) => this.segmentRows(w.part, w.segment)));
    return rows.flat();
  }

  private async rowsOf(key: string): Promise<ArchiveRow[] | null> {
    const bytes = await this.store.get(key);
    return bytes === null ? null : decodeRows(bytes, key);
  }

  /** A part's index; null once the lifecycle expired it. */
  private async indexOf(part: PartName) {
    const key = indexKey(part);
    const bytes = await this.store.get(key);
    return bytes === null ? null : decodeIndex(bytes, key);
  }

  private async segmentRows(part: string, segment: PartSegment): Promise<ArchiveRow[]> {
    const range = { start: segment.offset, end: segment.offset + segment.length - 1 };
    const bytes = await this.store.get(part, range);
    return bytes === null ? [] : decodeSegment(bytes, part);
  }
}
