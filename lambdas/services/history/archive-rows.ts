import type { ArchiveRow } from '../../../schemas/archive.js';
import type { ExecutionRecord } from '../../../schemas/records.js';
import type { HistoryArchive } from '../../core/ports/history-archive.js';
import { executionView } from '../views.js';

/** The archived line of an execution: its public resource plus the tenant it belongs to. */
export function archiveRowOf(item: ExecutionRecord): ArchiveRow {
  return { tenant: item.tenant, ...executionView(item) };
}

/**
 * An archived row as the services see executions. `rev` 0 never matches a stored item, so a
 * conditional write based on an archived execution fails instead of resurrecting it.
 */
export function executionOfRow(row: ArchiveRow): ExecutionRecord {
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

/** Executions that left the hot table together: one stream batch's TTL removals. */
export interface Removals {
  /** When the first of them was removed (epoch ms): the same when the batch is delivered again. */
  removedAt: number;
  executions: ExecutionRecord[];
}

/**
 * Archives one batch of removals as what the API showed while they were hot. The archive stores
 * the batch as one object (near zero writes per execution) and the same batch again adds nothing.
 */
export async function archiveRemovals(archive: HistoryArchive, removals: Removals): Promise<number> {
  if (removals.executions.length === 0) return 0;
  await archive.stage({ removedAt: removals.removedAt, rows: removals.executions.map(archiveRowOf) });
  return removals.executions.length;
}
