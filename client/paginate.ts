import { SchedulerClientError } from './errors.js';
import type { Page } from './types.js';

export interface PaginateOptions {
  /** Stop after this many items in total. */
  max?: number;
  /** Items asked per request (1–100). */
  pageSize?: number;
  /** Called after each page with the running count (progress output). */
  onPage?: (progress: { pages: number; items: number; more: boolean }) => void;
}

/**
 * Walks a cursor-paginated list page by page and yields its items; the next page is requested
 * only when the caller has consumed the current one.
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const pageSize = Math.min(100, Math.max(1, options.pageSize ?? 100));
  let cursor: string | undefined;
  let items = 0;
  let pages = 0;
  while (items < max) {
    const page = await fetchPage(cursor, Math.min(pageSize, max - items));
    // A proxy or another service at the endpoint may answer 200 with something else entirely.
    if (!Array.isArray(page?.items))
      throw new SchedulerClientError('the answer is not a page of items: is the endpoint the scheduler API?');
    pages += 1;
    const take = page.items.slice(0, max - items);
    items += take.length;
    const more = page.nextCursor !== null && items < max;
    options.onPage?.({ pages, items, more });
    for (const item of take) yield item;
    if (!more || page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}

/** Collects an async iterable into an array. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
