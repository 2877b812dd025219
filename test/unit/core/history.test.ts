import { describe, expect, it, vi } from 'vitest';
import {
  boundedFilter,
  coldHorizon,
  combineSlices,
  type HistorySlice,
  historyPage,
  isExpired,
  matches,
  sliceOf,
  spanMeets,
} from '../../../lambdas/core/history.js';
import type { ExecutionRecord } from '../../../schemas/records.js';
import { aFinishedExecution } from '../../support/history-fixtures.js';

const JOB = 'job_01JHISTORY0000000000000000';
const at = (minute: number) => new Date(Date.UTC(2026, 2, 8, 12, minute)).toISOString();
const exec = (minute: number, overrides: Partial<ExecutionRecord> = {}) =>
  aFinishedExecution(JOB, at(minute), overrides);

describe('isExpired', () => {
  it('is true from the expiresAt second on, and never for an unfinished execution', () => {
    const item = aFinishedExecution(JOB, at(0), { expiresAt: 1_800_000_000 });
    expect(isExpired(item, 1_800_000_000_000 - 1)).toBe(false);
    expect(isExpired(item, 1_800_000_000_000)).toBe(true);
    const { expiresAt: _e, ...running } = item;
    expect(isExpired(running, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('boundedFilter', () => {
  it('continues strictly before the cursor instant, within the filter, and is null for an empty range', () => {
    expect(boundedFilter({ status: 'failed' }, at(10))).toEqual({
      status: 'failed',
      to: '2026-03-08T12:09:59.999Z',
    });
    expect(boundedFilter({ to: at(5) }, at(10))).toEqual({ to: at(5) });
    expect(boundedFilter({ from: at(5) }, undefined)).toEqual({ from: at(5) });
    expect(boundedFilter({ from: at(5) }, at(5))).toBeNull();
    expect(boundedFilter({ from: at(6), to: at(5) }, undefined)).toBeNull();
  });

  it('bounds what matches and which spans can hold a match', () => {
    const filter = { from: at(5), to: at(10), status: 'succeeded' as const };
    expect(matches(exec(5), filter)).toBe(true);
    expect(matches(exec(11), filter)).toBe(false);
    expect(matches(exec(7, { status: 'failed' }), filter)).toBe(false);
    expect(spanMeets({ first: at(0), last: at(5) }, filter)).toBe(true);
    expect(spanMeets({ first: at(10), last: at(20) }, filter)).toBe(true);
    expect(spanMeets({ first: at(0), last: at(4) }, filter)).toBe(false);
    expect(spanMeets({ first: at(11), last: at(12) }, filter)).toBe(false);
  });
});

describe('sliceOf', () => {
  it('keeps the newest `limit` once each, complete down to the last when more were found', () => {
    const found = [exec(1), exec(3), exec(2), exec(3), exec(0)];
    expect(sliceOf(found, 2)).toEqual({ items: [exec(3), exec(2)], completeTo: at(2) });
    expect(sliceOf(found, 4)).toEqual({ items: [exec(3), exec(2), exec(1), exec(0)], completeTo: null });
  });
});

describe('combineSlices', () => {
  it('keeps items only down to where every source is complete', () => {
    const stopped: HistorySlice<ExecutionRecord> = { items: [exec(50)], completeTo: at(45) };
    const complete: HistorySlice<ExecutionRecord> = { items: [exec(46), exec(10)], completeTo: null };
    expect(combineSlices([stopped, complete], 5)).toEqual({
      items: [exec(50), exec(46)],
      completeTo: at(45),
    });
  });

  it('counts an execution found in several sources once, the first source’s copy', () => {
    const hot = { items: [exec(30, { rev: 3 })], completeTo: null };
    const cold = { items: [exec(30, { rev: 0 }), exec(5, { rev: 0 })], completeTo: null };
    const merged = combineSlices([hot, cold], 5);
    expect(merged.items.map((i) => i.rev)).toEqual([3, 0]);
    expect(merged.completeTo).toBeNull();
  });
});

/**
 * A source over a fixed list, honouring `before` and `limit` like the real ones. `hidden` items are
 * examined but never returned (expired hot items); a source examines at most `maxExamined` per call.
 */
function listSource(all: ExecutionRecord[], options: { hidden?: string[]; maxExamined?: number } = {}) {
  const sorted = [...all].sort((a, b) => (a.scheduledAt < b.scheduledAt ? 1 : -1));
  const hidden = new Set(options.hidden ?? []);
  return vi.fn(async (before: string | undefined, limit: number): Promise<HistorySlice<ExecutionRecord>> => {
    const items: ExecutionRecord[] = [];
    let examined = 0;
    for (const item of sorted) {
      if (before !== undefined && item.scheduledAt >= before) continue;
      if (examined === options.maxExamined)
        return { items, completeTo: sorted[sorted.indexOf(item) - 1]!.scheduledAt };
      examined++;
      if (hidden.has(item.scheduledAt)) continue;
      if (items.length === limit) return { items, completeTo: items[limit - 1]!.scheduledAt };
      items.push(item);
    }
    return { items, completeTo: null };
  });
}

async function walk(
  sources: Parameters<typeof historyPage<ExecutionRecord>>[0],
  limit: number,
  horizon = at(59),
): Promise<{ pages: string[][]; ids: string[] }> {
  const pages: string[][] = [];
  let before: string | undefined;
  for (let n = 0; n < 100; n++) {
    const page = await historyPage(sources, { limit, before, coldHorizon: horizon });
    pages.push(page.items.map((i) => i.scheduledAt));
    if (page.completeTo === null) break;
    before = page.completeTo;
  }
  return { pages, ids: pages.flat() };
}

describe('historyPage', () => {
  it('interleaves hot and archived executions newest first, whatever the page size', async () => {
    // Minute 20 finished late (long retries), so it is still hot while minutes 21 and 30 are archived.
    const hot = [exec(50), exec(40), exec(20)];
    const cold = [exec(30), exec(21), exec(10), exec(0)];
    const expected = [50, 40, 30, 21, 20, 10, 0].map(at);
    for (const limit of [1, 2, 3, 7, 50]) {
      const { ids, pages } = await walk({ hot: listSource(hot), cold: listSource(cold) }, limit);
      expect(ids).toEqual(expected);
      expect(pages.every((p) => p.length <= limit)).toBe(true);
    }
  });

  it('returns an execution found in both sources once, the hot copy', async () => {
    const lingering = exec(30, { status: 'succeeded' });
    const archived = { ...exec(30), rev: 0 };
    const { ids } = await walk(
      { hot: listSource([exec(40), lingering]), cold: listSource([archived, exec(5)]) },
      2,
    );
    expect(ids).toEqual([at(40), at(30), at(5)]);
    const first = await historyPage(
      { hot: listSource([exec(40), lingering]), cold: listSource([archived]) },
      { limit: 5, before: undefined, coldHorizon: at(59) },
    );
    expect(first.items.map((i) => i.rev)).toEqual([3, 3]);
    expect(first.completeTo).toBeNull();
  });

  it('reads no archive while a full hot page is newer than the cold horizon', async () => {
    const cold = listSource([exec(1)]);
    const page = await historyPage(
      { hot: listSource([exec(50), exec(45), exec(40)]), cold },
      { limit: 2, before: undefined, coldHorizon: at(30) },
    );
    expect(page.items.map((i) => i.scheduledAt)).toEqual([at(50), at(45)]);
    expect(cold).not.toHaveBeenCalled();
    // The hot page that reaches below the horizon does read it.
    const next = await historyPage(
      { hot: listSource([exec(50), exec(45), exec(40)]), cold },
      { limit: 2, before: page.completeTo!, coldHorizon: at(30) },
    );
    expect(next.items.map((i) => i.scheduledAt)).toEqual([at(40), at(1)]);
    expect(cold).toHaveBeenCalledTimes(1);
    expect(next.completeTo).toBeNull();
  });

  it('continues where a source stopped early, and loses nothing across the gap', async () => {
    // Minutes 47–48 linger in the hot table past expiry; the hot source gives up after 3 per call,
    // before it reaches minute 45. The archive's minute 10 must not jump ahead of that unseen 45.
    const hot = listSource([exec(50), exec(48), exec(47), exec(45)], {
      hidden: [at(48), at(47)],
      maxExamined: 3,
    });
    const cold = listSource([exec(46, { rev: 0 }), exec(10, { rev: 0 })]);
    const { pages } = await walk({ hot, cold }, 3);
    expect(pages).toEqual([[at(50)], [at(46), at(45), at(10)]]);
  });

  it('ends at once on an empty history', async () => {
    const page = await historyPage(
      { hot: listSource([]), cold: listSource([]) },
      { limit: 10, before: undefined, coldHorizon: at(59) },
    );
    expect(page).toEqual({ items: [], completeTo: null });
  });
});

describe('coldHorizon', () => {
  it('lies one hour plus the look-ahead after now minus the hot retention', () => {
    const now = Date.parse('2026-06-01T00:00:00.000Z');
    expect(coldHorizon(now, 90 * 86_400, 120)).toBe('2026-03-03T01:02:00.000Z');
  });
});
