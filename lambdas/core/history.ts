import type { ExecutionStatus } from '../../schemas/job.js';
import type { ExecutionRecord } from '../../schemas/records.js';
import type { ExecutionFilter } from './ports/execution-store.js';
import { HOUR, iso, ms } from './time.js';

/**
 * Execution history as pure page logic: which items a page holds when several sources (the hot
 * table, the archive's staging objects, its compacted parts) each answer for their own part. No
 * source is read here; where history is stored and how it is encoded lives in the adapters.
 */

/** What the merge needs of an execution, hot item or archived row alike. */
export interface HistoryEntry {
  executionId: string;
  scheduledAt: string;
  status: ExecutionStatus;
}

/**
 * What one source gave for a page, newest first. `completeTo`: every matching item scheduled at
 * or after this instant is in `items`, and older ones may exist; null: the source has nothing more.
 */
export interface HistorySlice<T extends HistoryEntry> {
  items: T[];
  completeTo: string | null;
}

export const EMPTY_SLICE: HistorySlice<never> = { items: [], completeTo: null };

/** Past its hot retention: readers ignore it even while DynamoDB's TTL (up to ~48 h late) has not removed it. */
export function isExpired(item: ExecutionRecord, now: number): boolean {
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
function upperBound(filter: ExecutionFilter, before: string | undefined): string | undefined {
  if (before === undefined) return filter.to;
  const justBefore = iso(ms(before) - 1);
  return filter.to !== undefined && filter.to < justBefore ? filter.to : justBefore;
}

/**
 * The filter of a listing that continues strictly before `before` (`to` inclusive), or null when
 * that range is empty (`from` after `to`, or a cursor already past `from`).
 */
export function boundedFilter(filter: ExecutionFilter, before: string | undefined): ExecutionFilter | null {
  const to = upperBound(filter, before);
  const bounded: ExecutionFilter = { ...filter, ...(to === undefined ? {} : { to }) };
  return bounded.from !== undefined && bounded.to !== undefined && bounded.from > bounded.to ? null : bounded;
}

/** `filter.to` is inclusive: pass `boundedFilter(filter, before)` to continue a listing. */
export function matches(item: HistoryEntry, filter: ExecutionFilter): boolean {
  const { to } = filter;
  return (
    (filter.status === undefined || item.status === filter.status) &&
    (filter.from === undefined || item.scheduledAt >= filter.from) &&
    (to === undefined || item.scheduledAt <= to)
  );
}

/** Whether anything scheduled within [first, last] can match the filter's instants. */
export function spanMeets(span: { first: string; last: string }, filter: ExecutionFilter): boolean {
  return (
    (filter.from === undefined || span.last >= filter.from) &&
    (filter.to === undefined || span.first <= filter.to)
  );
}

const newestFirst = (a: HistoryEntry, b: HistoryEntry) =>
  a.scheduledAt === b.scheduledAt ? 0 : a.scheduledAt < b.scheduledAt ? 1 : -1;

/**
 * The newest `keep` of `items`, each execution once (the first occurrence wins), newest first.
 * Within a job `scheduledAt` is unique, so the order is total.
 */
export function newestDistinct<T extends HistoryEntry>(items: T[], keep: number): T[] {
  const seen = new Set<string>();
  const distinct: T[] = [];
  for (const item of items) {
    if (seen.has(item.executionId)) continue;
    seen.add(item.executionId);
    distinct.push(item);
  }
  return distinct.sort(newestFirst).slice(0, keep);
}

/**
 * A source's answer from everything it found that could make the page: the newest `limit`, and
 * complete down to the last of them when more were found (the extra one says the source goes on).
 */
export function sliceOf<T extends HistoryEntry>(found: T[], limit: number): HistorySlice<T> {
  const newest = newestDistinct(found, limit + 1);
  return newest.length > limit
    ? { items: newest.slice(0, limit), completeTo: newest[limit - 1]!.scheduledAt }
    : { items: newest, completeTo: null };
}

/**
 * Several sources' slices as one: newest first, an execution present in several counted once
 * (the earlier source wins, so pass the hot table first), and items only down to where every
 * source is complete — a source that stopped early cannot have an older item jump ahead of one
 * it has not looked at yet. The result is itself a slice, so sources nest.
 */
export function combineSlices<T extends HistoryEntry>(
  slices: HistorySlice<T>[],
  limit: number,
): HistorySlice<T> {
  const floors = slices.map((s) => s.completeTo).filter((f): f is string => f !== null);
  const floor = floors.length > 0 ? floors.reduce((a, b) => (a > b ? a : b)) : undefined;
  const candidates = newestDistinct(
    slices.flatMap((s) => s.items).filter((item) => floor === undefined || item.scheduledAt >= floor),
    Number.POSITIVE_INFINITY,
  );
  const items = candidates.slice(0, limit);
  if (candidates.length <= limit && floor === undefined) return { items, completeTo: null };
  return { items, completeTo: items.length === limit ? items[limit - 1]!.scheduledAt : floor! };
}

export interface HistorySources<T extends HistoryEntry> {
  /** Hot (unexpired) items scheduled strictly before `before`, newest first, at most `limit`. */
  hot(before: string | undefined, limit: number): Promise<HistorySlice<T>>;
  /** Archived items scheduled strictly before `before`, newest first, at most `limit`. */
  cold(before: string | undefined, limit: number): Promise<HistorySlice<T>>;
}

/**
 * One page of a job's history, hot and archived merged newest first, continuing strictly before
 * `before` (the last item's `scheduledAt` of the previous page: unique within a job since it names
 * the execution, so one instant resumes both sources without a position in either). The page's
 * `completeTo` is where the next page continues, null at the end. The archive is not read at all
 * when a full hot page is newer than `coldHorizon` (no archived row can be that recent): recent
 * pages cost no archive request.
 */
export async function historyPage<T extends HistoryEntry>(
  sources: HistorySources<T>,
  options: { limit: number; before: string | undefined; coldHorizon: string },
): Promise<HistorySlice<T>> {
  const { limit, before } = options;
  const hot = await sources.hot(before, limit);
  const oldestHot = hot.items.length >= limit ? hot.items[limit - 1] : undefined;
  const cold: HistorySlice<T> =
    oldestHot && oldestHot.scheduledAt >= options.coldHorizon
      ? { items: [], completeTo: options.coldHorizon }
      : await sources.cold(before, limit);
  return combineSlices([hot, cold], limit);
}
