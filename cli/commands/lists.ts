import type { PaginateOptions } from '../../client/index.js';
import { integerFlag } from '../args.js';
import type { Context } from '../context.js';
import { UsageError } from '../exit-codes.js';

export const LIST_FLAGS = ['limit', 'all', 'page-size'] as const;

/** How list commands show their flags in help. */
export const LIST_USAGE = '[--limit <n>|--all] [--page-size <1-100>]';

/**
 * Gathers a list through the paginator: `--limit N` items (default 50) or `--all`. Reports
 * progress on stderr while more pages follow, so a long list never looks stuck.
 */
export async function gather<T>(
  ctx: Context,
  noun: string,
  iterate: (options: PaginateOptions) => AsyncIterable<T>,
): Promise<T[]> {
  const { flags } = ctx;
  if (flags.all && flags.limit !== undefined) throw new UsageError('give --limit or --all, not both');
  const limit = integerFlag(flags.limit, 'limit', 1);
  const pageSize = integerFlag(flags['page-size'], 'page-size', 1);
  if (pageSize !== undefined && pageSize > 100) throw new UsageError('--page-size must be 1–100');
  const items: T[] = [];
  const source = iterate({
    ...(flags.all ? {} : { max: limit ?? 50 }),
    ...(pageSize !== undefined ? { pageSize } : {}),
    onPage: ({ items: count, more }) => {
      if (more) ctx.progress(`fetched ${count} ${noun}…`);
    },
  });
  for await (const item of source) items.push(item);
  ctx.progress('', true);
  return items;
}

/** Human output of a list, or "No jobs." when it is empty. */
export function printList<T>(ctx: Context, items: T[], empty: string, render: (items: T[]) => string): void {
  ctx.print(items, () => (items.length === 0 ? empty : render(items)));
}
