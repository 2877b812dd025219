import type { ExecutionRecord } from '../../schemas/records.js';
import { ExecutionItem } from '../../schemas/stored.js';

/**
 * The Executions table's items, in one place: an execution's `pending` place becomes the `pending`
 * index keys, a dead one carries its tenant on the `dead` index, and back. The archiver reads stream
 * images through `executionOfItem` too, so a change of the layout is made here alone.
 */
export function executionItemOf(execution: ExecutionRecord): ExecutionItem {
  const { pending, ...rest } = execution;
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
    ...rest,
    ...(pendingShard !== undefined && pendingAt !== undefined
      ? { pending: { shard: Number(pendingShard), at: pendingAt } }
      : {}),
  };
}
