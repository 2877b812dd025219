import type { ExecutionRecord } from '../../../schemas/records.js';
import { decodeCursorJson, encodeCursorJson } from '../../core/cursor.js';
import { InvalidCursor } from '../../core/errors.js';
import {
  boundedFilter,
  coldHorizon,
  EMPTY_SLICE,
  type HistorySlice,
  historyPage,
  isExpired,
} from '../../core/history.js';
import type { ExecutionFilter } from '../../core/ports/execution-store.js';
import type { Page } from '../../core/ports/page.js';
import type { ServiceDeps } from '../service-deps.js';
import { executionOfRow } from './archive-rows.js';

/**
 * Hot-table queries per page before a run of expired-but-not-yet-deleted items (TTL runs up to
 * ~48 h late) is cut short; the page then ends where the scan stopped and the cursor resumes there.
 */
const MAX_HOT_TRIPS = 10;

type HistoryDeps = Pick<ServiceDeps, 'executions' | 'archive' | 'clock' | 'settings'>;

/** The unexpired hot item, else the archived one, else null. Tenant-scoped: another tenant's id is not found. */
export async function findExecution(
  deps: HistoryDeps,
  tenant: string,
  executionId: string,
): Promise<ExecutionRecord | null> {
  const hot = await deps.executions.getExecution(executionId);
  if (hot && !isExpired(hot, deps.clock.now())) return hot.tenant === tenant ? hot : null;
  const archived = deps.archive ? await deps.archive.find(tenant, executionId) : null;
  return archived ? executionOfRow(archived) : null;
}

/**
 * GET /v1/jobs/{id}/executions: one page of the hot table and the archive merged (core/history.ts
 * `historyPage`); the cursor names the job and the instant the next page continues before.
 */
export async function listJobHistory(
  deps: HistoryDeps,
  tenant: string,
  jobId: string,
  filter: ExecutionFilter,
  limit: number,
  cursor: string | undefined,
): Promise<Page<ExecutionRecord>> {
  const now = deps.clock.now();
  const { archive, settings } = deps;
  const page = await historyPage<ExecutionRecord>(
    {
      hot: (before, max) => hotSlice(deps, jobId, filter, before, max, now),
      cold: async (before, max) => {
        if (!archive) return EMPTY_SLICE;
        const slice = await archive.jobSlice({ tenant, jobId, filter, before, limit: max });
        return { items: slice.items.map(executionOfRow), completeTo: slice.completeTo };
      },
    },
    {
      limit,
      before: decodeHistoryCursor(cursor, jobId),
      coldHorizon: coldHorizon(now, settings.hotRetentionSeconds, settings.lookaheadSeconds),
    },
  );
  return {
    items: page.items,
    nextCursor: page.completeTo === null ? null : encodeHistoryCursor(jobId, page.completeTo),
  };
}

/**
 * Unexpired items of the job's partition of the Executions table (key condition `jobId = :job AND scheduledAt <= :to`,
 * newest first): asks for one more than `limit` to learn whether the source goes on.
 */
async function hotSlice(
  deps: HistoryDeps,
  jobId: string,
  filter: ExecutionFilter,
  before: string | undefined,
  limit: number,
  now: number,
): Promise<HistorySlice<ExecutionRecord>> {
  // An empty range (`from` after `to`, or a cursor past `from`): DynamoDB refuses such a BETWEEN.
  const query = boundedFilter(filter, before);
  if (!query) return EMPTY_SLICE;
  const live: ExecutionRecord[] = [];
  let lastSeen: string | undefined;
  let cursor: string | undefined;
  for (let trip = 1; ; trip++) {
    const page = await deps.executions.listByJob(jobId, query, limit + 1 - live.length, cursor);
    for (const item of page.items) {
      lastSeen = item.scheduledAt;
      if (!isExpired(item, now)) live.push(item);
    }
    cursor = page.nextCursor ?? undefined;
    if (live.length > limit) return { items: live.slice(0, limit), completeTo: live[limit - 1]!.scheduledAt };
    if (cursor === undefined) return { items: live, completeTo: null };
    if (trip >= MAX_HOT_TRIPS && lastSeen !== undefined) return { items: live, completeTo: lastSeen };
  }
}

export function encodeHistoryCursor(jobId: string, before: string): string {
  return encodeCursorJson({ j: jobId, b: before });
}

/** The `before` instant of a cursor issued for this job; anything else is a 400. */
export function decodeHistoryCursor(cursor: string | undefined, jobId: string): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const { j, b } = (decodeCursorJson(cursor) ?? {}) as { j?: unknown; b?: unknown };
  if (j !== jobId || typeof b !== 'string' || Number.isNaN(Date.parse(b))) throw new InvalidCursor();
  return b;
}
