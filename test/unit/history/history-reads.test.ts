import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArchiveCompactor } from '../../../lambdas/adapters/archive-compactor.js';
import { STAGING_PREFIX } from '../../../lambdas/adapters/archive-layout.js';
import { ObjectHistoryArchive } from '../../../lambdas/adapters/object-history-archive.js';
import { ExecutionNotFound, InvalidCursor } from '../../../lambdas/core/errors.js';
import type { ExecutionFilter } from '../../../lambdas/core/ports/execution-store.js';
import { archiveRowOf, executionOfRow } from '../../../lambdas/services/history/archive-rows.js';
import { decodeHistoryCursor, encodeHistoryCursor } from '../../../lambdas/services/history/history-reads.js';
import type { QueryService } from '../../../lambdas/services/jobs/query-service.js';
import { executionView } from '../../../lambdas/services/views.js';
import type { ExecutionStatus } from '../../../schemas/job.js';
import type { ExecutionRecord } from '../../../schemas/records.js';
import { aJob } from '../../integration/store-conformance.js';
import { aFinishedExecution } from '../../support/history-fixtures.js';
import { FakeClock } from '../../support/memory.js';
import { MemoryArchiveStore } from '../../support/memory-archive-store.js';
import { setup } from '../../support/scheduler.js';
import { silentLogger } from '../../support/services.js';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const HOT_SECONDS = 3600; // fakeDeps' hotRetentionSeconds
const DAY = 86_400_000;

/** The shared setup with a job of team-a and the archive on memory objects. */
function withArchive() {
  const f = setup({ now: NOW });
  const store = new MemoryArchiveStore();
  const archive = new ObjectHistoryArchive(store);
  f.deps.archive = archive;
  const job = aJob({ tenant: 'team-a' });
  f.jobs.items.set(job.jobId, job);
  // The compactor's own clock: every removal date of these tests has settled by then.
  const compactor = new ArchiveCompactor(store, { clock: new FakeClock(NOW + 3 * DAY), log: silentLogger });
  return { ...f, store, archive, compactor, job };
}

/** A finished execution `finishedAgoMs` before NOW, with the expiry the executor gives it. */
function finished(
  jobId: string,
  scheduledAt: number,
  finishedAt: number,
  status: ExecutionStatus = 'succeeded',
) {
  return aFinishedExecution(jobId, new Date(scheduledAt).toISOString(), {
    status,
    finishedAt: new Date(finishedAt).toISOString(),
    expiresAt: Math.floor(finishedAt / 1000) + HOT_SECONDS,
  });
}

/** What the archiver does with a batch of TTL removals: one staging object. */
async function archiveBatch(archive: ObjectHistoryArchive, items: ExecutionRecord[]) {
  await archive.stage({
    removedAt: Math.min(...items.map((i) => i.expiresAt! * 1000)),
    rows: items.map(archiveRowOf),
  });
}

/**
 * What the archiver leaves for `items` removed in stream batches of `perBatch`; `regrouped`: Lambda
 * wrote the tail of each batch again after a partial failure (the same rows in a second object).
 */
async function archiveInBatches(
  archive: ObjectHistoryArchive,
  items: ExecutionRecord[],
  perBatch: number,
  regrouped: boolean,
) {
  for (let i = 0; i < items.length; i += perBatch) {
    const batch = items.slice(i, i + perBatch);
    await archiveBatch(archive, batch);
    if (regrouped && batch.length > 1) await archiveBatch(archive, batch.slice(1));
  }
}

async function listAll(service: QueryService, jobId: string, filter: ExecutionFilter, limit: number) {
  const seen: ExecutionRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 500; pages++) {
    const page = await service.listExecutions('team-a', jobId, filter, limit, cursor);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.items);
    if (!page.nextCursor) return seen;
    cursor = page.nextCursor;
  }
  throw new Error('the listing did not end');
}

describe('history cursors', () => {
  it('carry the instant to continue before, for one job only', () => {
    const at = '2026-03-08T12:03:00.000Z';
    const cursor = encodeHistoryCursor('job_a', at);
    expect(decodeHistoryCursor(cursor, 'job_a')).toBe(at);
    expect(decodeHistoryCursor(undefined, 'job_a')).toBeUndefined();
    expect(() => decodeHistoryCursor(cursor, 'job_other')).toThrow(InvalidCursor);
    expect(() => decodeHistoryCursor('not-a-cursor', 'job_a')).toThrow(InvalidCursor);
    expect(() => decodeHistoryCursor(encodeHistoryCursor('job_a', 'yesterday'), 'job_a')).toThrow(
      InvalidCursor,
    );
  });
});

describe('QueryService history reads', () => {
  describe('getExecution', () => {
    it('returns a hot execution, and the archived one once its hot copy expired', async () => {
      const s = withArchive();
      const item = finished(s.job.jobId, NOW - 2 * DAY, NOW - 2 * DAY + 500);
      await s.executions.createExecution(item);
      await archiveBatch(s.archive, [item]);

      // Expired but not yet removed (TTL is lazy): readers ignore the hot copy and read the archive.
      const found = await s.queries.getExecution('team-a', item.executionId);
      expect(found).toMatchObject({ executionId: item.executionId, status: 'succeeded', rev: 0 });
      expect(found.attempts).toEqual(item.attempts);

      s.executions.items.delete(item.executionId);
      expect((await s.queries.getExecution('team-a', item.executionId)).rev).toBe(0);
      await s.compactor.compact();
      expect(s.store.keys(STAGING_PREFIX)).toEqual([]);
      expect(executionView(await s.queries.getExecution('team-a', item.executionId))).toEqual(
        executionView(item),
      );
    });

    it('prefers the live hot copy', async () => {
      const s = withArchive();
      const item = finished(s.job.jobId, NOW - 60_000, NOW - 30_000);
      await s.executions.createExecution(item);
      expect((await s.queries.getExecution('team-a', item.executionId)).rev).toBe(item.rev);
      expect(s.store.calls).toMatchObject({ list: 0, get: 0 });
    });

    it('is not found for an expired execution not archived yet, another tenant, or a malformed id', async () => {
      const s = withArchive();
      const expired = finished(s.job.jobId, NOW - 2 * DAY, NOW - 2 * DAY);
      await s.executions.createExecution(expired);
      await expect(s.queries.getExecution('team-a', expired.executionId)).rejects.toBeInstanceOf(
        ExecutionNotFound,
      );

      await archiveBatch(s.archive, [expired]);
      await expect(s.queries.getExecution('team-b', expired.executionId)).rejects.toBeInstanceOf(
        ExecutionNotFound,
      );
      const live = finished(s.job.jobId, NOW - 1000, NOW - 500);
      await s.executions.createExecution(live);
      await expect(s.queries.getExecution('team-b', live.executionId)).rejects.toBeInstanceOf(
        ExecutionNotFound,
      );
      for (const id of ['nonsense', `${s.job.jobId}:not-a-date`, ':2026-01-01T00:00:00.000Z']) {
        await expect(s.queries.getExecution('team-a', id)).rejects.toBeInstanceOf(ExecutionNotFound);
      }
    });
  });

  describe('archive reads', () => {
    /** A day of archived runs every ten minutes, removed one per stream batch. */
    async function archivedDay(s: ReturnType<typeof withArchive>) {
      const day = Date.parse('2026-03-08T00:00:00.000Z');
      const items = Array.from({ length: 144 }, (_, i) =>
        finished(s.job.jobId, day + i * 600_000, day + i * 600_000 + 500),
      );
      for (const item of items) await archiveBatch(s.archive, [item]);
      return items;
    }

    it('pages a day of archived runs the same before and after its compaction', async () => {
      const s = withArchive();
      const items = await archivedDay(s);
      const newest = (from: number, n: number) =>
        items
          .slice(from - n, from)
          .reverse()
          .map((e) => e.scheduledAt);
      for (const stage of ['staged', 'compacted']) {
        if (stage === 'compacted') await s.compactor.compact();
        const page = await s.queries.listExecutions('team-a', s.job.jobId, {}, 10);
        expect(
          page.items.map((e) => e.scheduledAt),
          stage,
        ).toEqual(newest(144, 10));
        const next = await s.queries.listExecutions('team-a', s.job.jobId, {}, 10, page.nextCursor!);
        expect(
          next.items.map((e) => e.scheduledAt),
          stage,
        ).toEqual(newest(134, 10));
        const window = { from: items[20]!.scheduledAt, to: items[24]!.scheduledAt };
        const inWindow = await s.queries.listExecutions('team-a', s.job.jobId, window, 10);
        expect(
          inWindow.items.map((e) => e.scheduledAt),
          stage,
        ).toEqual(newest(25, 5));
        expect((await listAll(s.queries, s.job.jobId, {}, 50)).length, stage).toBe(144);
        expect((await s.queries.getExecution('team-a', items[77]!.executionId)).executionId).toBe(
          items[77]!.executionId,
        );
      }
      expect(s.store.keys(STAGING_PREFIX)).toEqual([]);
    });

    it('answers 404, not 500, for an id whose instant names no archive date', async () => {
      const s = withArchive();
      await expect(
        s.queries.getExecution('team-a', `${s.job.jobId}:+275760-09-13T00:00:00.000Z`),
      ).rejects.toBeInstanceOf(ExecutionNotFound);
    });

    it('shows an archived row as the execution the API showed while it was hot', () => {
      const item = finished('job_x', NOW - 2 * DAY, NOW - 2 * DAY + 500, 'cancelled');
      const row = archiveRowOf({ ...item, reason: 'cancelled by the user' });
      expect(row).toMatchObject({ tenant: 'team-a', executionId: item.executionId, lateByMs: 12 });
      expect(row).not.toHaveProperty('expiresAt');
      expect(executionView(executionOfRow(row))).toEqual(
        executionView({ ...item, reason: 'cancelled by the user' }),
      );
      expect(executionOfRow(row).rev).toBe(0);
    });
  });

  describe('listExecutions', () => {
    it('filters by status, from and to across the hot/cold boundary, one item per page', async () => {
      const s = withArchive();
      const jobId = s.job.jobId;
      const statuses: ExecutionStatus[] = ['failed', 'succeeded', 'failed', 'succeeded', 'failed', 'failed'];
      // Six daily runs: the four older ones are archived, the two newest are hot.
      const items = statuses.map((status, i) =>
        finished(jobId, NOW - (6 - i) * DAY + 1000, NOW - (6 - i) * DAY + 2000, status),
      );
      for (const item of items.slice(0, 4)) await archiveBatch(s.archive, [item]);
      // The newest two finished within the hot hour (a retry series that just ended).
      const hot = items.slice(4).map((item) => ({ ...item, expiresAt: Math.floor(NOW / 1000) + 600 }));
      for (const item of hot) await s.executions.createExecution(item);

      const failed = await listAll(s.queries, jobId, { status: 'failed' }, 1);
      expect(failed.map((e) => e.scheduledAt)).toEqual(
        [hot[1]!, hot[0]!, items[2]!, items[0]!].map((e) => e.scheduledAt),
      );

      const window = { from: items[1]!.scheduledAt, to: hot[0]!.scheduledAt };
      const inWindow = await listAll(s.queries, jobId, window, 2);
      expect(inWindow.map((e) => e.scheduledAt)).toEqual(
        [hot[0]!, items[3]!, items[2]!, items[1]!].map((e) => e.scheduledAt),
      );

      const both = await listAll(s.queries, jobId, { ...window, status: 'succeeded' }, 1);
      expect(both.map((e) => e.scheduledAt)).toEqual([items[3]!, items[1]!].map((e) => e.scheduledAt));
    });

    it('serves recent pages from the hot table alone', async () => {
      const s = withArchive();
      // A day hot: a full page of the last minutes is newer than anything archived can be.
      s.deps.settings.hotRetentionSeconds = 86_400;
      for (let i = 0; i < 5; i++)
        await s.executions.createExecution(finished(s.job.jobId, NOW - i * 60_000, NOW - i * 60_000));
      const page = await s.queries.listExecutions('team-a', s.job.jobId, {}, 3);
      expect(page.items).toHaveLength(3);
      expect(page.nextCursor).not.toBeNull();
      expect(s.store.calls.list).toBe(0);
    });

    it('refuses a cursor issued for another job', async () => {
      const s = withArchive();
      const other = aJob({ tenant: 'team-a' });
      s.jobs.items.set(other.jobId, other);
      for (let i = 0; i < 3; i++)
        await s.executions.createExecution(finished(other.jobId, NOW - i * 1000, NOW - i * 1000));
      const page = await s.queries.listExecutions('team-a', other.jobId, {}, 1);
      await expect(
        s.queries.listExecutions('team-a', s.job.jobId, {}, 1, page.nextCursor!),
      ).rejects.toBeInstanceOf(InvalidCursor);
    });

    it('lists every visible execution exactly once, newest first, for any history, filter and page size', async () => {
      const statuses: ExecutionStatus[] = ['succeeded', 'failed', 'dead', 'cancelled'];
      const run = fc.record({
        // Scheduled up to a year back, many around the hot/cold boundary; finished up to three hours later (retries).
        ageMs: fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 3 * 3_600_000 }), weight: 3 },
          { arbitrary: fc.integer({ min: 0, max: 365 * DAY }), weight: 1 },
        ),
        runMs: fc.integer({ min: 0, max: 3 * 3_600_000 }),
        status: fc.constantFrom(...statuses),
        // What happened after expiry: archived and removed, archived while the hot copy lingers, or not yet swept.
        afterExpiry: fc.constantFrom('archived', 'archived-lingering', 'unswept'),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(run, { selector: (r) => r.ageMs, minLength: 0, maxLength: 40, size: 'max' }),
          fc.option(fc.constantFrom(...statuses), { nil: undefined, freq: 2 }),
          fc.option(fc.integer({ min: 0, max: 365 * DAY }), { nil: undefined, freq: 2 }),
          fc.option(fc.integer({ min: 0, max: 3 * 3_600_000 }), { nil: undefined, freq: 2 }),
          fc.integer({ min: 1, max: 7 }),
          // Stream batches: how many removals an object groups, and whether a partial failure had
          // Lambda write the tail of each batch again, regrouped under another key.
          fc.integer({ min: 1, max: 4 }),
          fc.boolean(),
          // Where the archived rows sit: staging, compacted parts, both (a compaction that died
          // before deleting staging), or half compacted and half staged after.
          fc.constantFrom('staged', 'compacted', 'died-before-deleting', 'half-later'),
          async (runs, status, fromAge, toAge, limit, perBatch, regrouped, compaction) => {
            const s = withArchive();
            const visible: ExecutionRecord[] = [];
            const archived: ExecutionRecord[] = [];
            for (const r of runs) {
              const scheduledAt = NOW - r.ageMs;
              const item = finished(s.job.jobId, scheduledAt, Math.min(NOW, scheduledAt + r.runMs), r.status);
              const expired = item.expiresAt! * 1000 <= NOW;
              if (!expired) {
                await s.executions.createExecution(item);
                visible.push(item);
                continue;
              }
              if (r.afterExpiry !== 'archived') await s.executions.createExecution(item);
              if (r.afterExpiry !== 'unswept') {
                archived.push(item);
                visible.push(item);
              }
            }
            const half = compaction === 'half-later' ? Math.floor(archived.length / 2) : archived.length;
            await archiveInBatches(s.archive, archived.slice(0, half), perBatch, regrouped);
            if (compaction === 'died-before-deleting')
              s.store.before = (operation) => {
                if (operation === 'delete') throw new Error('crash');
              };
            if (compaction !== 'staged') await s.compactor.compact();
            s.store.before = () => {};
            await archiveInBatches(s.archive, archived.slice(half), perBatch, regrouped);
            const filter: ExecutionFilter = {
              ...(status ? { status } : {}),
              ...(fromAge !== undefined ? { from: new Date(NOW - fromAge).toISOString() } : {}),
              ...(toAge !== undefined ? { to: new Date(NOW - toAge).toISOString() } : {}),
            };
            const expected = visible
              .filter((e) => !filter.status || e.status === filter.status)
              .filter((e) => !filter.from || e.scheduledAt >= filter.from)
              .filter((e) => !filter.to || e.scheduledAt <= filter.to)
              .map((e) => e.executionId)
              .sort()
              .reverse();
            const listed = await listAll(s.queries, s.job.jobId, filter, limit);
            expect(listed.map((e) => e.executionId)).toEqual(expected);
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
