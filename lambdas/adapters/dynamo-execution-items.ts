import type { ExecutionRecord } from '../../schemas/records.js';
import { ExecutionItem } from '../../schemas/stored.js';
import { executionIdFor, scheduledRunOf } from '../core/ids.js';

/** An execution's key in the Executions table: its job and its scheduled instant. */
export interface ExecutionKey {
  jobId: string;
  scheduledAt: string;
}

/** The key an execution id names (`<jobId>:<ISO instant>`), or null for an id no execution can have. */
export function executionKeyOf(executionId: string): ExecutionKey | null {
  return scheduledRunOf(executionId);
}

/**
 * The Executions table's items, in one place: keyed by `jobId` and `scheduledAt` (the execution id
 * is not stored: it is those two joined), an execution's `pending` place becomes the `pending`
 * index keys, a dead one carries its tenant on the `dead` index, and back. The archiver reads
 * stream images through `executionOfItem` too, so a change of the layout is made here alone.
 */
export function executionItemOf(execution: ExecutionRecord): ExecutionItem {
  const { pending, executionId: _id, ...rest } = execution;
  return {
    ...rest,
    ...(pending ? { pendingShard: String(pending.shard), pendingAt: pending.at } : {}),
    ...(execution.status === 'dead' ? { deadTenant: execution.tenant } : {}),
  };
}

/** The execution an item holds. */
export function executionOfItem(raw: Record<string, unknown>): ExecutionRecord {
  const { pendingShard, pendingAt, deadTenant: _d, ...rest } = ExecutionItem.parse(raw);
  return {
    executionId: executionIdFor(rest.jobId, rest.scheduledAt),
    ...rest,
    ...(pendingShard !== undefined && pendingAt !== undefined
      ? { pending: { shard: Number(pendingShard), at: pendingAt } }
      : {}),
  };
}
