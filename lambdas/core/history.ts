import { createHash } from 'node:crypto';
import { ArchiveRow } from '../../schemas/archive.js';
import type { ExecutionItem } from '../../schemas/stored.js';
import { InvalidCursor } from './errors.js';
import type { ExecutionFilter, Page } from './ports.js';
import { HOUR, iso, ms } from './time.js';

/**
 * Execution history past the hot window. Objects live at
 * `executions/tenant=<t>/job=<jobId>/date=<yyyy-mm-dd>/<first>-<last>-<sequence>-<digest>.jsonl.gz`
 * (date = the UTC date of `scheduledAt`; `first`/`last` = the time of day of its oldest and newest
 * row); each is the gzip JSON Lines of one stream batch's rows for that partition.
 */
export interface HistoryArchive {
  /** Stores one object; the same key again replaces it, so a retried batch rewrites what it wrote. */
  putObject(object: ArchiveObject): Promise<void>;
  /** The dates (yyyy-mm-dd) under which a job has archived executions, oldest first. */
  listDates(tenant: string, jobId: string): Promise<string[]>;
  /** The keys of the objects of one job and date, in key order. */
  listObjects(partition: ArchivePartition): Promise<string[]>;
  /** The rows of one object; an object gone since it was listed (the lifecycle expired it) holds none. */
  readObject(key: string): Promise<ArchiveRow[]>;
}

export interface ArchivePartition {
  tenant: string;
  jobId: string;
  date: string;
}

export interface ArchiveObject {
  key: string;
  rows: ArchiveRow[];
}

export const ARCHIVE_PREFIX = 'executions/';
export const OBJECT_SUFFIX = '.jsonl.gz';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Values are URI-encoded so a tenant or id can never add a path segment (`/`) to a key or a file path. */
const segment = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`;

export function jobPrefix(tenant: string, jobId: string): string {
  return `${ARCHIVE_PREFIX}${segment('tenant', tenant)}/${segment('job', jobId)}/`;
}

export function datePrefix(partition: ArchivePartition): string {
  if (!DATE.test(partition.date)) throw new Error(`not an archive date: ${partition.date}`);
  return `${jobPrefix(partition.tenant, partition.jobId)}date=${partition.date}/`;
}

/** `date=2026-03-08/` (a common prefix or a directory name) -> `2026-03-08`; anything else -> null. */
export function dateOfSegment(name: string): string | null {
  const match = /(?:^|\/)date=(\d{4}-\d{2}-\d{2})\/?$/.exec(name);
  return match?.[1] ?? null;
}

/** The UTC date of an instant, as the `date=` partition names it. */
export function archiveDateOf(isoInstant: string): string {
  return iso(ms(isoInstant)).slice(0, 10);
}

export function partitionOf(row: Pick<ArchiveRow, 'tenant' | 'jobId' | 'scheduledAt'>): ArchivePartition {
  return { tenant: row.tenant, jobId: row.jobId, date: archiveDateOf(row.scheduledAt) };
}

/** `07:30:00.000` of an instant as `073000000`: fixed width, so key order is time order within a date. */
const timeOfDay = (isoInstant: string) => iso(ms(isoInstant)).slice(11, 23).replace(/[:.]/g, '');
const SPAN_NAME = /^(\d{9})-(\d{9})-[0-9A-Za-z]+-[0-9a-f]{16}\.jsonl\.gz$/;

/**
 * A batch object's name: the time span of its rows (so a reader fetches only the objects that can
 * hold the executions it wants), the stream sequence number of its first record (so a retried
 * batch rewrites the same key) and a digest of the execution ids it holds (so two different groups
 * can never share a key and overwrite each other, whatever the sequence numbers of separate shards
 * or of a restarted local sweeper).
 */
export function batchObjectKey(
  partition: ArchivePartition,
  firstSequenceNumber: string,
  rows: Pick<ArchiveRow, 'executionId' | 'scheduledAt'>[],
): string {
  if (rows.length === 0) throw new Error('an archive object holds at least one row');
  const instants = rows.map((row) => iso(ms(row.scheduledAt))).sort();
  if (instants.some((at) => archiveDateOf(at) !== partition.date)) {
    throw new Error(`rows scheduled outside ${partition.date} do not belong to its partition`);
  }
  const digest = createHash('sha256')
    .update(
      rows
        .map((row) => row.executionId)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 16);
  const sequence = firstSequenceNumber.replace(/[^0-9A-Za-z]/g, '') || '0';
  const span = `${timeOfDay(instants[0]!)}-${timeOfDay(instants.at(-1)!)}`;
  return `${datePrefix(partition)}${span}-${sequence}-${digest}${OBJECT_SUFFIX}`;
}

/** The scheduled instants an object's rows lie within (inclusive ISO instants). */
export interface ObjectSpan {
  key: string;
  first: string;
  last: string;
}

/**
 * The span an object's name declares; a name without one (an archive written before spans were
 * named) spans its whole date, so it is always read.
 */
export function objectSpan(key: string): ObjectSpan {
  const slash = key.lastIndexOf('/');
  const date = dateOfSegment(key.slice(0, slash + 1));
  if (!date) throw new Error(`not an archive object key: ${key}`);
  const span = SPAN_NAME.exec(key.slice(slash + 1));
  const at = (hhmmssSSS: string) =>
    `${date}T${hhmmssSSS.slice(0, 2)}:${hhmmssSSS.slice(2, 4)}:${hhmmssSSS.slice(4, 6)}.${hhmmssSSS.slice(6)}Z`;
  return span
    ? { key, first: at(span[1]!), last: at(span[2]!) }
    : { key, first: `${date}T00:00:00.000Z`, last: `${date}T23:59:59.999Z` };
}

/** Rows as JSON Lines (one object per line, newline-terminated): what Athena's JSON SerDe reads. */
export function toJsonLines(rows: ArchiveRow[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

/** Parses JSON Lines written by `toJsonLines`; a line that is not a row is an error, not silently dropped. */
export function parseJsonLines(text: string): ArchiveRow[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ArchiveRow.parse(JSON.parse(line)));
}

/**
 * An archived row as the services see executions. `rev` 0 never matches a stored item, so a
 * conditional write based on an archived execution fails instead of resurrecting it.
 */
export function executionOfRow(row: ArchiveRow): ExecutionItem {
  return {
    executionId: row.executionId,
    jobId: row.jobId,
    tenant: row.tenant,
    scheduledAt: row.scheduledAt,
    trigger: row.trigger,
    status: row.status,
    attempts: row.attempts,
    rev: 0,
    ...(row.startedAt ? { startedAt: row.startedAt } : {}),
    ...(row.finishedAt ? { finishedAt: row.finishedAt } : {}),
    ...(row.lateByMs === null ? {} : { lateByMs: row.lateByMs }),
    ...(row.nextAttemptAt ? { nextAttemptAt: row.nextAttemptAt } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
  };
}

/** Past its hot retention: readers ignore it even while DynamoDB's TTL (up to ~48 h late) has not removed it. */
export function isExpired(item: ExecutionItem, now: number): boolean {
  return item.expiresAt !== undefined && item.expiresAt * 1000 <= now;
}

/**
 * No archived execution is scheduled at or after this instant: it left the hot table after its
 * `expiresAt` (finish + retention) passed, and it finished no earlier than its scheduled time
 * minus the look-ahead (a run cancelled while queued). The hour covers clock skew.
 */
export function coldHorizon(now: number, hotRetentionSeconds: number, lookaheadSeconds: number): string {
  return iso(now - hotRetentionSeconds * 1000 + lookaheadSeconds * 1000 + HOUR);
}

/** The inclusive upper bound of a query that continues strictly before `before`. */
export function upperBound(filter: ExecutionFilter, before: string | undefined): string | undefined {
  if (before === undefined) return filter.to;
  const justBefore = iso(ms(before) - 1);
  return filter.to !== undefined && filter.to < justBefore ? filter.to : justBefore;
}

/** `filter.to` is inclusive: pass `upperBound(filter, before)` to continue a listing. */
export function matches(item: ExecutionItem, filter: ExecutionFilter): boolean {
  const { to } = filter;
  return (
    (filter.status === undefined || item.status === filter.status) &&
    (filter.from === undefined || item.scheduledAt >= filter.from) &&
    (to === undefined || item.scheduledAt <= to)
  );
}

const newestFirst = (a: ExecutionItem, b: ExecutionItem) =>
  a.scheduledAt === b.scheduledAt ? 0 : a.scheduledAt < b.scheduledAt ? 1 : -1;

/**
 * What one source gave for a page, newest first. `completeTo`: every matching item scheduled at
 * or after this instant is in `items`, and older ones may exist; null: the source has nothing more.
 */
export interface HistorySlice {
  items: ExecutionItem[];
  completeTo: string | null;
}

/** Objects read at once: enough to hide S3's latency, few enough for a Lambda's sockets. */
const READ_WIDTH = 16;

const newestSpanFirst = (a: ObjectSpan, b: ObjectSpan) => (a.last === b.last ? 0 : a.last < b.last ? 1 : -1);

/**
 * Archived executions of one job matching the filter, scheduled strictly before `before`, newest
 * first. Walks the date partitions from the newest down and, within a date, the objects whose
 * span meets the filter, newest span first; it stops as soon as more than `limit` rows are found
 * and no unread object can hold a newer one — so a page costs about `limit` rows of reads, not a
 * day's or a year's. Rows written twice (a batch retried after a partial failure) count once.
 */
export async function archivedSlice(
  archive: HistoryArchive,
  tenant: string,
  jobId: string,
  filter: ExecutionFilter,
  before: string | undefined,
  limit: number,
): Promise<HistorySlice> {
  const to = upperBound(filter, before);
  const bounded: ExecutionFilter = { ...filter, ...(to === undefined ? {} : { to }) };
  if (bounded.from !== undefined && bounded.to !== undefined && bounded.from > bounded.to) {
    return { items: [], completeTo: null };
  }
  const newestDate = to === undefined ? undefined : archiveDateOf(to);
  const oldestDate = filter.from === undefined ? undefined : archiveDateOf(filter.from);
  const dates = (await archive.listDates(tenant, jobId))
    .filter(
      (date) =>
        (newestDate === undefined || date <= newestDate) && (oldestDate === undefined || date >= oldestDate),
    )
    .sort()
    .reverse();
  let found: ExecutionItem[] = [];
  const seen = new Set<string>();
  for (const date of dates) {
    const spans = (await archive.listObjects({ tenant, jobId, date }))
      .map(objectSpan)
      .filter((span) => overlaps(span, bounded))
      .sort(newestSpanFirst);
    let next = 0;
    while (next < spans.length) {
      // Every object holds a row, so reading more than the rows still missing would be waste.
      const width = Math.min(READ_WIDTH, Math.max(1, limit + 1 - found.length));
      const floor = found.length > limit ? found[limit]!.scheduledAt : undefined;
      const batch = spans
        .slice(next, next + width)
        .filter((span) => floor === undefined || span.last >= floor);
      if (batch.length === 0) break;
      next += width;
      for (const rows of await Promise.all(batch.map((span) => archive.readObject(span.key)))) {
        for (const row of rows) {
          const item = executionOfRow(row);
          if (item.jobId === jobId && matches(item, bounded) && !seen.has(item.executionId)) {
            seen.add(item.executionId);
            found.push(item);
          }
        }
      }
      // Only the newest `limit + 1` can make the page; the rest were read for nothing and are let go.
      found = found.sort(newestFirst).slice(0, limit + 1);
    }
    // Older dates hold only older rows.
    if (found.length > limit) break;
  }
  return found.length > limit
    ? { items: found.slice(0, limit), completeTo: found[limit - 1]!.scheduledAt }
    : { items: found, completeTo: null };
}

function overlaps(span: ObjectSpan, filter: ExecutionFilter): boolean {
  return (
    (filter.from === undefined || span.last >= filter.from) &&
    (filter.to === undefined || span.first <= filter.to)
  );
}

/** Every row of one job's date, objects in key order (the whole partition, as Athena reads it). */
export async function readPartition(
  archive: HistoryArchive,
  partition: ArchivePartition,
): Promise<ArchiveRow[]> {
  const keys = await archive.listObjects(partition);
  const rows: ArchiveRow[] = [];
  for (let i = 0; i < keys.length; i += READ_WIDTH) {
    const objects = await Promise.all(keys.slice(i, i + READ_WIDTH).map((key) => archive.readObject(key)));
    rows.push(...objects.flat());
  }
  return rows;
}

/**
 * An archived execution by id, or null. `jobId:scheduledAt` names its partition, and object names
 * their spans: typically one LIST and one GET.
 */
export async function findArchived(
  archive: HistoryArchive,
  tenant: string,
  executionId: string,
): Promise<ExecutionItem | null> {
  const at = executionId.indexOf(':');
  if (at <= 0) return null;
  const jobId = executionId.slice(0, at);
  const scheduledAt = executionId.slice(at + 1);
  if (Number.isNaN(Date.parse(scheduledAt))) return null;
  const instant = iso(ms(scheduledAt));
  const date = archiveDateOf(instant);
  // A year beyond 9999 parses but names no partition: not found, rather than a failed key.
  if (!DATE.test(date)) return null;
  const spans = (await archive.listObjects({ tenant, jobId, date }))
    .map(objectSpan)
    .filter((span) => span.first <= instant && instant <= span.last);
  for (let i = 0; i < spans.length; i += READ_WIDTH) {
    const objects = await Promise.all(spans.slice(i, i + READ_WIDTH).map((s) => archive.readObject(s.key)));
    const row = objects.flat().find((r) => r.executionId === executionId && r.tenant === tenant);
    if (row) return executionOfRow(row);
  }
  return null;
}

export interface HistorySources {
  /** Hot (unexpired) items scheduled strictly before `before`, newest first, at most `limit`. */
  hot(before: string | undefined, limit: number): Promise<HistorySlice>;
  /** Archived items scheduled strictly before `before`, newest first, at most `limit`. */
  cold(before: string | undefined, limit: number): Promise<HistorySlice>;
}

/**
 * One page of a job's history, hot and archived merged newest first. The cursor is an instant:
 * the page continues strictly before it (the last item's `scheduledAt`, unique within a job since
 * it names the execution), so one cursor spans both sources without a position in either. An
 * execution found in both (archived while its hot copy lingers) appears once, the hot copy
 * winning. Items are returned only down to where both sources are complete, so nothing is skipped
 * when one source stopped early. The archive is not read at all when a full hot page is newer
 * than `coldHorizon` (no archived row can be that recent): recent pages cost no S3 request.
 */
export async function mergedHistoryPage(
  sources: HistorySources,
  options: { jobId: string; limit: number; cursor?: string | undefined; coldHorizon: string },
): Promise<Page<ExecutionItem>> {
  const { jobId, limit } = options;
  const before = decodeHistoryCursor(options.cursor, jobId);
  const hot = await sources.hot(before, limit);
  const oldestHot = hot.items.length >= limit ? hot.items[limit - 1] : undefined;
  const cold: HistorySlice =
    oldestHot && oldestHot.scheduledAt >= options.coldHorizon
      ? { items: [], completeTo: options.coldHorizon }
      : await sources.cold(before, limit);
  const floors = [hot.completeTo, cold.completeTo].filter((f): f is string => f !== null);
  const floor = floors.length > 0 ? floors.reduce((a, b) => (a > b ? a : b)) : undefined;
  const merged = new Map<string, ExecutionItem>();
  for (const item of [...hot.items, ...cold.items]) {
    if (!merged.has(item.executionId) && (floor === undefined || item.scheduledAt >= floor)) {
      merged.set(item.executionId, item);
    }
  }
  const candidates = [...merged.values()].sort(newestFirst);
  const items = candidates.slice(0, limit);
  const more = candidates.length > limit || floor !== undefined;
  if (!more) return { items, nextCursor: null };
  const resumeBefore = items.length === limit ? items[limit - 1]!.scheduledAt : floor!;
  return { items, nextCursor: encodeHistoryCursor(jobId, resumeBefore) };
}

export function encodeHistoryCursor(jobId: string, before: string): string {
  return Buffer.from(JSON.stringify({ j: jobId, b: before }), 'utf8').toString('base64url');
}

/** The `before` instant of a cursor issued for this job; anything else is a 400. */
export function decodeHistoryCursor(cursor: string | undefined, jobId: string): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const { j, b } = (decoded ?? {}) as { j?: unknown; b?: unknown };
  if (j !== jobId || typeof b !== 'string' || Number.isNaN(Date.parse(b))) throw invalidCursor();
  return b;
}

function invalidCursor(): InvalidCursor {
  return new InvalidCursor();
}
