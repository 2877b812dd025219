import { describe, expect, it, vi } from 'vitest';
import { InvalidCursor } from '../../lambdas/core/errors.js';
import {
  archiveDateOf,
  archivedSlice,
  batchObjectKey,
  coldHorizon,
  dateOfSegment,
  decodeHistoryCursor,
  encodeHistoryCursor,
  executionOfRow,
  type HistorySlice,
  isExpired,
  mergedHistoryPage,
  objectSpan,
  parseJsonLines,
  toJsonLines,
} from '../../lambdas/core/history.js';
import { archiveRowOf } from '../../lambdas/services/archive-service.js';
import { executionView } from '../../lambdas/services/views.js';
import type { ExecutionItem } from '../../schemas/stored.js';
import { aFinishedExecution, anArchiveRow } from '../support/history-fixtures.js';
import { MemoryHistoryArchive } from '../support/memory-archive.js';

const JOB = 'job_01JHISTORY0000000000000000';
const at = (minute: number) => new Date(Date.UTC(2026, 2, 8, 12, minute)).toISOString();
const partition = { tenant: 'team-a', jobId: JOB, date: '2026-03-08' };

describe('archive layout', () => {
  describe('batchObjectKey', () => {
    const row = (minute: number) => ({ executionId: `${JOB}:${at(minute)}`, scheduledAt: at(minute) });

    it('is the same for the same records in any order, and differs when the records differ', () => {
      const a = batchObjectKey(partition, '4900000000000123', [row(1), row(2)]);
      const b = batchObjectKey(partition, '4900000000000123', [row(2), row(1)]);
      const c = batchObjectKey(partition, '4900000000000123', [row(1)]);
      expect(a).toBe(b);
      expect(c).not.toBe(a);
      expect(a).toMatch(
        /^executions\/tenant=team-a\/job=job_01JHISTORY0000000000000000\/date=2026-03-08\/120100000-120200000-4900000000000123-[0-9a-f]{16}\.jsonl\.gz$/,
      );
    });

    it('keeps only safe characters of a sequence number', () => {
      expect(batchObjectKey(partition, '../12/3', [row(1)])).toMatch(
        /\/date=2026-03-08\/120100000-120100000-123-[0-9a-f]{16}\.jsonl\.gz$/,
      );
    });

    it('refuses rows of another date and an empty group', () => {
      const nextDay = {
        executionId: `${JOB}:2026-03-09T00:00:00.000Z`,
        scheduledAt: '2026-03-09T00:00:00.000Z',
      };
      expect(() => batchObjectKey(partition, '1', [row(1), nextDay])).toThrow(/outside 2026-03-08/);
      expect(() => batchObjectKey(partition, '1', [])).toThrow(/at least one row/);
    });
  });

  describe('objectSpan', () => {
    it('reads the span of its rows back from a key, to the millisecond', () => {
      const first = {
        executionId: `${JOB}:2026-03-08T00:00:00.001Z`,
        scheduledAt: '2026-03-08T00:00:00.001Z',
      };
      const last = {
        executionId: `${JOB}:2026-03-08T23:59:59.999Z`,
        scheduledAt: '2026-03-08T23:59:59.999Z',
      };
      const key = batchObjectKey(partition, '77', [last, first]);
      expect(objectSpan(key)).toEqual({ key, first: first.scheduledAt, last: last.scheduledAt });
    });

    it('gives an object named before spans were (sequence-digest) its whole date', () => {
      const key = 'executions/tenant=team-a/job=j/date=2026-03-08/4900000000000123-0123456789abcdef.jsonl.gz';
      expect(objectSpan(key)).toEqual({
        key,
        first: '2026-03-08T00:00:00.000Z',
        last: '2026-03-08T23:59:59.999Z',
      });
      expect(() => objectSpan('executions/tenant=team-a/job=j/x.jsonl.gz')).toThrow(
        /not an archive object key/,
      );
    });
  });

  it.each([
    ['executions/tenant=t/job=j/date=2026-03-08/', '2026-03-08'],
    ['date=2026-03-08', '2026-03-08'],
    ['date=2026-3-8/', null],
    ['other=2026-03-08/', null],
    ['date=2026-03-08.tmp', null],
  ])('dateOfSegment(%s) = %s', (name, date) => {
    expect(dateOfSegment(name)).toBe(date);
  });

  it('dates a partition by the UTC day of scheduledAt', () => {
    expect(archiveDateOf('2026-03-08T23:59:59.999Z')).toBe('2026-03-08');
    expect(archiveDateOf('2026-03-09T00:00:00.000Z')).toBe('2026-03-09');
  });
});

describe('archive rows', () => {
  it('round-trips through JSON Lines and gives back what the API showed while hot', () => {
    const item = aFinishedExecution(JOB, at(5), { reason: 'cancelled', status: 'cancelled' });
    const row = archiveRowOf(item);
    const [parsed] = parseJsonLines(toJsonLines([row]));
    expect(parsed).toEqual(row);
    expect(executionView(executionOfRow(parsed!))).toEqual(executionView(item));
    expect(executionOfRow(parsed!).rev).toBe(0);
  });

  it('rejects a line that is not an archived execution', () => {
    expect(() => parseJsonLines(`${JSON.stringify(anArchiveRow(JOB, at(1)))}\n{"hello":1}\n`)).toThrow();
  });
});

describe('isExpired', () => {
  it('is true from the expiresAt second on, and never for an unfinished execution', () => {
    const item = aFinishedExecution(JOB, at(0), { expiresAt: 1_800_000_000 });
    expect(isExpired(item, 1_800_000_000_000 - 1)).toBe(false);
    expect(isExpired(item, 1_800_000_000_000)).toBe(true);
    const { expiresAt: _e, ...running } = item;
    expect(isExpired(running, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('history cursors', () => {
  it('carry the instant to continue before, for one job only', () => {
    const cursor = encodeHistoryCursor(JOB, at(3));
    expect(decodeHistoryCursor(cursor, JOB)).toBe(at(3));
    expect(decodeHistoryCursor(undefined, JOB)).toBeUndefined();
    expect(() => decodeHistoryCursor(cursor, 'job_other')).toThrow(InvalidCursor);
    expect(() => decodeHistoryCursor('not-a-cursor', JOB)).toThrow(InvalidCursor);
    expect(() => decodeHistoryCursor(encodeHistoryCursor(JOB, 'yesterday'), JOB)).toThrow(InvalidCursor);
  });
});

/**
 * A source over a fixed list, honouring `before` and `limit` like the real ones. `hidden` items are
 * examined but never returned (expired hot items); a source examines at most `maxExamined` per call.
 */
function listSource(all: ExecutionItem[], options: { hidden?: string[]; maxExamined?: number } = {}) {
  const sorted = [...all].sort((a, b) => (a.scheduledAt < b.scheduledAt ? 1 : -1));
  const hidden = new Set(options.hidden ?? []);
  return vi.fn(async (before: string | undefined, limit: number): Promise<HistorySlice> => {
    const items: ExecutionItem[] = [];
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
  sources: Parameters<typeof mergedHistoryPage>[0],
  limit: number,
  horizon = at(59),
): Promise<{ pages: string[][]; ids: string[] }> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 100; n++) {
    const page = await mergedHistoryPage(sources, { jobId: JOB, limit, cursor, coldHorizon: horizon });
    pages.push(page.items.map((i) => i.scheduledAt));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { pages, ids: pages.flat() };
}

describe('archivedSlice', () => {
  it('reads an object whose span reaches past the page floor, even when it starts below it', async () => {
    // Prepare: failed runs at 02:00 and 01:00 sit in objects whose newest rows succeeded; the failed
    // run at 08:00 sits in an object that starts before both (a regrouped retry spans widely).
    const archive = new MemoryHistoryArchive();
    const row = (hour: number, status: 'failed' | 'succeeded') =>
      anArchiveRow(JOB, new Date(Date.UTC(2026, 2, 8, hour, 30)).toISOString(), { status });
    const groups = [
      [row(10, 'succeeded'), row(2, 'failed')],
      [row(9, 'succeeded'), row(1, 'failed')],
      [row(0, 'succeeded'), row(8, 'failed')],
    ];
    for (const [i, rows] of groups.entries()) {
      await archive.putObject({ key: batchObjectKey(partition, String(i + 1), rows), rows });
    }

    // Act
    const slice = await archivedSlice(archive, 'team-a', JOB, { status: 'failed' }, undefined, 1);

    // Assess
    expect(slice.items.map((e) => e.scheduledAt)).toEqual([row(8, 'failed').scheduledAt]);
    expect(slice.completeTo).toBe(row(8, 'failed').scheduledAt);
  });
});

describe('mergedHistoryPage', () => {
  const exec = (minute: number, overrides: Partial<ExecutionItem> = {}) =>
    aFinishedExecution(JOB, at(minute), overrides);

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
    const first = await mergedHistoryPage(
      { hot: listSource([exec(40), lingering]), cold: listSource([archived]) },
      { jobId: JOB, limit: 5, coldHorizon: at(59) },
    );
    expect(first.items.map((i) => i.rev)).toEqual([3, 3]);
    expect(first.nextCursor).toBeNull();
  });

  it('reads no archive while a full hot page is newer than the cold horizon', async () => {
    const cold = listSource([exec(1)]);
    const page = await mergedHistoryPage(
      { hot: listSource([exec(50), exec(45), exec(40)]), cold },
      { jobId: JOB, limit: 2, coldHorizon: at(30) },
    );
    expect(page.items.map((i) => i.scheduledAt)).toEqual([at(50), at(45)]);
    expect(cold).not.toHaveBeenCalled();
    // The hot page that reaches below the horizon does read it.
    const next = await mergedHistoryPage(
      { hot: listSource([exec(50), exec(45), exec(40)]), cold },
      { jobId: JOB, limit: 2, cursor: page.nextCursor!, coldHorizon: at(30) },
    );
    expect(next.items.map((i) => i.scheduledAt)).toEqual([at(40), at(1)]);
    expect(cold).toHaveBeenCalledTimes(1);
    expect(next.nextCursor).toBeNull();
  });

  it('keeps a cursor when a source stopped early, and loses nothing across the gap', async () => {
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

  it('ends with a null cursor on an empty history', async () => {
    const page = await mergedHistoryPage(
      { hot: listSource([]), cold: listSource([]) },
      { jobId: JOB, limit: 10, coldHorizon: at(59) },
    );
    expect(page).toEqual({ items: [], nextCursor: null });
  });
});

describe('coldHorizon', () => {
  it('lies one hour plus the look-ahead after now minus the hot retention', () => {
    const now = Date.parse('2026-06-01T00:00:00.000Z');
    expect(coldHorizon(now, 90 * 86_400, 120)).toBe('2026-03-03T01:02:00.000Z');
  });
});
