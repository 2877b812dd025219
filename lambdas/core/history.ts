import { createHash } from 'node:crypto';
import { ArchiveRow } from '../../schemas/archive.js';
import type { ExecutionItem } from '../../schemas/stored.js';
import { ValidationFailed } from './errors.js';
import type { ExecutionFilter, Page } from './ports.js';
import { HOUR, iso, ms } from './time.js';

/**
 * Execution history past the hot window. Objects live at
 * `executions/tenant=<t>/job=<jobId>/date=<yyyy-mm-dd>/<batchId>.jsonl.gz` (date = the UTC date of
 * `scheduledAt`); each is the gzip JSON Lines of one stream batch's rows for that partition.
 */
export interface HistoryArchive {
  /** Stores one object; the same key again replaces it, so a retried batch rewrites what it wrote. */
  putObject(object: ArchiveObject): Promise<void>;
  /** The dates (yyyy-mm-dd) under which a job has archived executions, oldest first. */
  listDates(tenant: string, jobId: string): Promise<string[]>;
  /** Every row of every object of one job and date, objects in key order. */
  readDate(tenant: string, jobId: string, date: string): Promise<ArchiveRow[]>;
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

/**
 * A batch object's name: the stream sequence number of its first record (so a retried batch
 * rewrites the same key) and a digest of the execution ids it holds (so two different groups can
 * never share a key and overwrite each other, whatever the sequence numbers of separate shards
 * or of a restarted local sweeper).
 */
export function batchObjectKey(
  partition: ArchivePartition,
  firstSequenceNumber: string,
  executionIds: string[],
): string {
  const digest = createHash('sha256')
    .update([...executionIds].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
  const sequence = firstSequenceNumber.replace(/[^0-9A-Za-z]/g, '') || '0';
  return `${datePrefix(partition)}${sequence}-${digest}${OBJECT_SUFFIX}`;
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

/**
 * Archived executions of one job matching the filter, scheduled strictly before `before`, newest
 * first. Walks the date partitions from the newest down and stops as soon as a whole date has
 * given more than `limit` rows (older dates cannot hold newer rows). Rows written twice (a batch
 * retried after a partial failure) count once.
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
  const newestDate = to === undefined ? undefined : archiveDateOf(to);
  const oldestDate = filter.from === undefined ? undefined : archiveDateOf(filter.from);
  const dates = (await archive.listDates(tenant, jobId))
    .filter(
      (date) =>
        (newestDate === undefined || date <= newestDate) && (oldestDate === undefined || date >= oldestDate),
    )
    .sort()
    .reverse();
  const found = new Map<string, ExecutionItem>();
  for (const date of dates) {
    for (const row of await archive.readDate(tenant, jobId, date)) {
      const item = executionOfRow(row);
      if (item.jobId === jobId && matches(item, bounded) && !found.has(item.executionId)) {
        found.set(item.executionId, item);
      }
    }
    if (found.size > limit) break;
  }
  const items = [...found.values()].sort(newestFirst).slice(0, limit + 1);
  return items.length > limit
    ? { items: items.slice(0, limit), completeTo: items[limit - 1]!.scheduledAt }
    : { items, completeTo: null };
}

/** An archived execution by id (`jobId:scheduledAt` names its partition), or null. */
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
  const rows = await archive.readDate(tenant, jobId, archiveDateOf(scheduledAt));
  const row = rows.find((r) => r.executionId === executionId && r.tenant === tenant);
  return row ? executionOfRow(row) : null;
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

function invalidCursor(): ValidationFailed {
  return new ValidationFailed('cursor is not valid for this list', [
    { path: 'cursor', message: 'invalid cursor' },
  ]);
}
