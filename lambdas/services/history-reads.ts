import type { ExecutionItem } from '../../schemas/stored.js';
import {
  archivedSlice,
  coldHorizon,
  findArchived,
  type HistorySlice,
  isExpired,
  mergedHistoryPage,
  upperBound,
} from '../core/history.js';
import type { ExecutionFilter, Page } from '../core/ports.js';
import type { ServiceDeps } from './deps.js';

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
): Promise<ExecutionItem | null> {
  const hot = await deps.executions.getExecution(executionId);
  if (hot && !isExpired(hot, deps.clock.now())) return hot.tenant === tenant ? hot : null;
  return deps.archive ? findArchived(deps.archive, tenant, executionId) : null;
}

/** GET /v1/jobs/{id}/executions: one page of the hot table and the archive merged (see mergedHistoryPage). */
export function listJobHistory(
  deps: HistoryDeps,
  tenant: string,
  jobId: string,
  filter: ExecutionFilter,
  limit: number,
  cursor: string | undefined,
): Promise<Page<ExecutionItem>> {
  const now = deps.clock.now();
  const { archive, settings } = deps;
  return mergedHistoryPage(
    {
      hot: (before, max) => hotSlice(deps, jobId, filter, before, max, now),
      cold: (before, max) =>
        archive
          ? archivedSlice(archive, tenant, jobId, filter, before, max)
          : Promise.resolve({ items: [], completeTo: null }),
    },
    {
      jobId,
      limit,
      cursor,
      coldHorizon: coldHorizon(now, settings.hotRetentionSeconds, settings.lookaheadSeconds),
    },
  );
}

/**
 * Unexpired items from the `byJob` index (key condition `jobId = :job AND scheduledAt <= :to`,
 * newest first): asks for one more than `limit` to learn whether the source goes on.
 */
async function hotSlice(
  deps: HistoryDeps,
  jobId: string,
  filter: ExecutionFilter,
  before: string | undefined,
  limit: number,
  now: number,
): Promise<HistorySlice> {
  const to = upperBound(filter, before);
  const query: ExecutionFilter = { ...filter, ...(to === undefined ? {} : { to }) };
  // An empty range (`from` after `to`, or a cursor past `from`): DynamoDB refuses such a BETWEEN.
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    return { items: [], completeTo: null };
  }
  const live: ExecutionItem[] = [];
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
