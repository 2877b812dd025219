import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecutionNotFound, InvalidCursor } from '../../lambdas/core/errors.js';
import { batchObjectKey, partitionOf } from '../../lambdas/core/history.js';
import type { ExecutionFilter } from '../../lambdas/core/ports.js';
import { archiveRowOf } from '../../lambdas/services/archive-service.js';
import { JobsService } from '../../lambdas/services/jobs-service.js';
import type { ArchiveRow } from '../../schemas/archive.js';
import type { ExecutionStatus } from '../../schemas/job.js';
import type { ExecutionItem } from '../../schemas/stored.js';
import { aJob } from '../integration/store-conformance.js';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { MemoryHistoryArchive } from '../support/memory-archive.js';
import { fakeDeps } from '../support/services.js';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const HOT_SECONDS = 3600; // fakeDeps' hotRetentionSeconds
const DAY = 86_400_000;

function setup() {
  const f = fakeDeps(NOW);
  const archive = new MemoryHistoryArchive();
  f.deps.archive = archive;
  const job = aJob({ tenant: 'team-a' });
  f.jobs.items.set(job.jobId, job);
  return { ...f, archive, job, service: new JobsService(f.deps) };
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

/** What the archiver does with a TTL removal, one object per execution (tests only). */
async function archiveOne(archive: MemoryHistoryArchive, item: ExecutionItem, sequence = '1') {
  const row = archiveRowOf(item);
  await archive.putObject({
    key: batchObjectKey(partitionOf(row), sequence, [row]),
    rows: [row],
  });
}

/** What the archiver leaves for `items` removed in stream batches of `perBatch`: one object per batch and date. */
async function archiveInBatches(
  archive: MemoryHistoryArchive,
  items: ExecutionItem[],
  perBatch: number,
  regrouped: boolean,
) {
  const write = async (batch: ExecutionItem[], sequence: string) => {
    const byDate = new Map<string, ArchiveRow[]>();
    for (const row of batch.map(archiveRowOf)) {
      const date = partitionOf(row).date;
      byDate.set(date, [...(byDate.get(date) ?? []), row]);
    }
    for (const rows of byDate.values()) {
      await archive.putObject({ key: batchObjectKey(partitionOf(rows[0]!), sequence, rows), rows });
    }
  };
  for (let i = 0; i < items.length; i += perBatch) {
    const batch = items.slice(i, i + perBatch);
    await write(batch, String(1000 + i));
    if (regrouped && batch.length > 1) await write(batch.slice(1), String(1001 + i));
  }
}

async function listAll(service: JobsService, jobId: string, filter: ExecutionFilter, limit: number) {
  const seen: ExecutionItem[] = [];
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

describe('JobsService history reads', () => {
  describe('getExecution', () => {
    it('returns a hot execution, and the archived one once its hot copy expired', async () => {
      const s = setup();
      const item = finished(s.job.jobId, NOW - 2 * DAY, NOW - 2 * DAY + 500);
      await s.executions.createExecution(item);
      await archiveOne(s.archive, item);

      // Expired but not yet removed (TTL is lazy): readers ignore the hot copy and read the archive.
      const found = await s.service.getExecution('team-a', item.executionId);
      expect(found).toMatchObject({ executionId: item.executionId, status: 'succeeded', rev: 0 });
      expect(found.attempts).toEqual(item.attempts);

      s.executions.items.delete(item.executionId);
      expect((await s.service.getExecution('team-a', item.executionId)).rev).toBe(0);
    });

    it('prefers the live hot copy', async () => {
      const s = setup();
      const item = finished(s.job.jobId, NOW - 60_000, NOW - 30_000);
      await s.executions.createExecution(item);
      expect((await s.service.getExecution('team-a', item.executionId)).rev).toBe(item.rev);
      expect(s.archive.reads).toBe(0);
    });

    it('is not found for an expired execution not archived yet, another tenant, or a malformed id', async () => {
      const s = setup();
      const expired = finished(s.job.jobId, NOW - 2 * DAY, NOW - 2 * DAY);
      await s.executions.createExecution(expired);
      await expect(s.service.getExecution('team-a', expired.executionId)).rejects.toBeInstanceOf(
        ExecutionNotFound,
      );

      await archiveOne(s.archive, expired);
      await expect(s.service.getExecution('team-b', expired.executionId)).rejects.toBeInstanceOf(
        ExecutionNotFound,
      );
      const live = finished(s.job.jobId, NOW - 1000, NOW - 500);
      await s.executions.createExecution(live);
      await expect(s.service.getExecution('team-b', live.executionId)).rejects.toBeInstanceOf(
        ExecutionNotFound,
      );
      for (const id of ['nonsense', `${s.job.jobId}:not-a-date`, ':2026-01-01T00:00:00.000Z']) {
        await expect(s.service.getExecution('team-a', id)).rejects.toBeInstanceOf(ExecutionNotFound);
      }
    });
  });

  describe('archive reads', () => {
    /** A day of archived runs every ten minutes, one object each (TTL removals in separate batches). */
    async function archivedDay(s: ReturnType<typeof setup>) {
      const day = Date.parse('2026-03-08T00:00:00.000Z');
      const items = Array.from({ length: 144 }, (_, i) =>
        finished(s.job.jobId, day + i * 600_000, day + i * 600_000 + 500),
      );
      for (const [i, item] of items.entries()) await archiveOne(s.archive, item, String(1000 + i));
      return items;
    }

    it('fetches only the objects whose span can hold the page, not the whole day', async () => {
      const s = setup();
      const items = await archivedDay(s);
      const page = await s.service.listExecutions('team-a', s.job.jobId, {}, 10);
      expect(page.items.map((e) => e.scheduledAt)).toEqual(
        items
          .slice(-10)
          .reverse()
          .map((e) => e.scheduledAt),
      );
      // Ten rows plus the one that tells whether more exist.
      expect(s.archive.objectReads).toBe(11);

      s.archive.objectReads = 0;
      const next = await s.service.listExecutions('team-a', s.job.jobId, {}, 10, page.nextCursor!);
      expect(next.items[0]!.scheduledAt).toBe(items.at(-11)!.scheduledAt);
      expect(s.archive.objectReads).toBe(11);

      s.archive.objectReads = 0;
      const window = { from: items[20]!.scheduledAt, to: items[24]!.scheduledAt };
      const inWindow = await s.service.listExecutions('team-a', s.job.jobId, window, 10);
      expect(inWindow.items).toHaveLength(5);
      expect(s.archive.objectReads).toBe(5);
    });

    it('finds an execution by id with one object read, and still reads objects named without a span', async () => {
      const s = setup();
      const items = await archivedDay(s);
      expect((await s.service.getExecution('team-a', items[77]!.executionId)).executionId).toBe(
        items[77]!.executionId,
      );
      expect(s.archive.objectReads).toBe(1);

      // An object written before names carried spans: `<sequence>-<digest>.jsonl.gz`, read for any instant of its date.
      const old = finished(
        s.job.jobId,
        Date.parse('2026-03-07T12:00:00.000Z'),
        Date.parse('2026-03-07T12:00:01.000Z'),
      );
      const row = archiveRowOf(old);
      await s.archive.putObject({
        key: `executions/tenant=team-a/job=${s.job.jobId}/date=2026-03-07/4900000000000000001-0123456789abcdef.jsonl.gz`,
        rows: [row],
      });
      expect((await s.service.getExecution('team-a', old.executionId)).status).toBe('succeeded');
      const all = await listAll(s.service, s.job.jobId, {}, 50);
      expect(all).toHaveLength(145);
      expect(all.at(-1)!.executionId).toBe(old.executionId);
    });

    it('answers 404, not 500, for an id whose instant names no archive date', async () => {
      const s = setup();
      await expect(
        s.service.getExecution('team-a', `${s.job.jobId}:+275760-09-13T00:00:00.000Z`),
      ).rejects.toBeInstanceOf(ExecutionNotFound);
    });
  });

  describe('listExecutions', () => {
    it('filters by status, from and to across the hot/cold boundary, one item per page', async () => {
      const s = setup();
      const jobId = s.job.jobId;
      const statuses: ExecutionStatus[] = ['failed', 'succeeded', 'failed', 'succeeded', 'failed', 'failed'];
      // Six daily runs: the four older ones are archived, the two newest are hot.
      const items = statuses.map((status, i) =>
        finished(jobId, NOW - (6 - i) * DAY + 1000, NOW - (6 - i) * DAY + 2000, status),
      );
      for (const item of items.slice(0, 4)) await archiveOne(s.archive, item);
      // The newest two finished within the hot hour (a retry series that just ended).
      const hot = items.slice(4).map((item) => ({ ...item, expiresAt: Math.floor(NOW / 1000) + 600 }));
      for (const item of hot) await s.executions.createExecution(item);

      const failed = await listAll(s.service, jobId, { status: 'failed' }, 1);
      expect(failed.map((e) => e.scheduledAt)).toEqual(
        [hot[1]!, hot[0]!, items[2]!, items[0]!].map((e) => e.scheduledAt),
      );

      const window = { from: items[1]!.scheduledAt, to: hot[0]!.scheduledAt };
      const inWindow = await listAll(s.service, jobId, window, 2);
      expect(inWindow.map((e) => e.scheduledAt)).toEqual(
        [hot[0]!, items[3]!, items[2]!, items[1]!].map((e) => e.scheduledAt),
      );

      const both = await listAll(s.service, jobId, { ...window, status: 'succeeded' }, 1);
      expect(both.map((e) => e.scheduledAt)).toEqual([items[3]!, items[1]!].map((e) => e.scheduledAt));
    });

    it('serves recent pages from the hot table alone', async () => {
      const s = setup();
      for (let i = 0; i < 5; i++)
        await s.executions.createExecution(finished(s.job.jobId, NOW - i * 60_000, NOW - i * 60_000));
      const page = await s.service.listExecutions('team-a', s.job.jobId, {}, 3);
      expect(page.items).toHaveLength(3);
      expect(page.nextCursor).not.toBeNull();
      expect(s.archive.reads).toBe(0);
    });

    it('refuses a cursor issued for another job', async () => {
      const s = setup();
      const other = aJob({ tenant: 'team-a' });
      s.jobs.items.set(other.jobId, other);
      for (let i = 0; i < 3; i++)
        await s.executions.createExecution(finished(other.jobId, NOW - i * 1000, NOW - i * 1000));
      const page = await s.service.listExecutions('team-a', other.jobId, {}, 1);
      await expect(
        s.service.listExecutions('team-a', s.job.jobId, {}, 1, page.nextCursor!),
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
          async (runs, status, fromAge, toAge, limit, perBatch, regrouped) => {
            const s = setup();
            const visible: ExecutionItem[] = [];
            const archived: ExecutionItem[] = [];
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
            await archiveInBatches(s.archive, archived, perBatch, regrouped);
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
            const listed = await listAll(s.service, s.job.jobId, filter, limit);
            expect(listed.map((e) => e.executionId)).toEqual(expected);
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
