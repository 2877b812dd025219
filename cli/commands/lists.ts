import type { PaginateOptions } from '../../client/index.js';
import { type FlagName, integerFlag, positionalArgs } from '../args.js';
import type { Context } from '../context.js';
import { UsageError } from '../exit-codes.js';
import type { Command } from './command.js';

const LIST_FLAGS = ['limit', 'all', 'page-size'] as const;

/** How list commands show their flags in help. */
const LIST_USAGE = '[--limit <n>|--all] [--page-size <1-100>]';

/**
 * Gathers a list through the paginator: `--limit N` items (default 50) or `--all`. Reports
 * progress on stderr while more pages follow, so a long list never looks stuck.
 */
async function gather<T>(
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
function printList<T>(ctx: Context, items: T[], empty: string, render: (items: T[]) => string): void {
  ctx.print(items, () => (items.length === 0 ? empty : render(items)));
}

/** A list command: what it reads page by page and how it shows the items. */
export interface ListCommandSpec<T> {
  name: string;
  /** Positional arguments and filter flags, as shown in help (the list flags are added). */
  usage?: string;
  summary: string;
  /** The positional arguments it requires, by name. */
  positionals?: string[];
  /** Flags of its own beside --limit, --all and --page-size. */
  filters?: readonly FlagName[];
  /** What the progress line counts (`fetched 200 runs…`) and what an empty list says. */
  noun: string;
  empty: string;
  iterate(ctx: Context, args: string[], options: PaginateOptions): AsyncIterable<T>;
  render(items: T[], ctx: Context): string;
}

/** `jobs list`, `runs list <jobId>`, `dead-letters list`: gathered through the paginator, printed once. */
export function listCommand<T>(spec: ListCommandSpec<T>): Command {
  return {
    name: spec.name,
    usage: spec.usage ? `${spec.usage} ${LIST_USAGE}` : LIST_USAGE,
    summary: spec.summary,
    flags: [...(spec.filters ?? []), ...LIST_FLAGS],
    async run(ctx, args) {
      const given = positionalArgs(args, spec.name, spec.positionals ?? []);
      const items = await gather(ctx, spec.noun, (options) => spec.iterate(ctx, given, options));
      printList(ctx, items, spec.empty, (shown) => spec.render(shown, ctx));
    },
  };
}
