import { describe, expect, it } from 'vitest';
import { decodeRows } from '../../lambdas/adapters/archive-codec.js';
import { ArchiveCompactor } from '../../lambdas/adapters/archive-compactor.js';
import { INDEX_PREFIX, PARTS_PREFIX, STAGING_PREFIX } from '../../lambdas/adapters/archive-layout.js';
import { ObjectHistoryArchive } from '../../lambdas/adapters/object-history-archive.js';
import type { ArchiveRow } from '../../schemas/archive.js';
import { anArchiveRow } from '../support/history-fixtures.js';
import { FakeClock } from '../support/memory.js';
import { MemoryArchiveStore } from '../support/memory-archive-store.js';
import { silentLogger } from '../support/services.js';

const JOB = 'job_01JOBJECTARCHIVE0000000000';
const OTHER = 'job_01JOTHERJOB00000000000000';
const REMOVED = Date.parse('2026-06-07T10:00:00.000Z');
/** Runs every ten minutes on 8 March. */
const at = (i: number) => new Date(Date.UTC(2026, 2, 8, 0, 10 * i)).toISOString();

function setup() {
  const store = new MemoryArchiveStore();
  const archive = new ObjectHistoryArchive(store);
  const compact = () =>
    new ArchiveCompactor(store, {
      clock: new FakeClock(Date.parse('2026-06-09T01:00:00.000Z')),
      log: silentLogger,
    }).compact();
  return { store, archive, compact };
}

/** A day of JOB's runs and OTHER's, removed in batches of `perBatch` (each batch one staging object). */
async function stageDay(archive: ObjectHistoryArchive, perBatch: number): Promise<ArchiveRow[]> {
  const mine = Array.from({ length: 144 }, (_, i) => anArchiveRow(JOB, at(i)));
  const theirs = Array.from({ length: 144 }, (_, i) => anArchiveRow(OTHER, at(i)));
  for (let i = 0; i < 144; i += perBatch) {
    await archive.stage({
      removedAt: REMOVED + i * 60_000,
      rows: [...mine.slice(i, i + perBatch), ...theirs.slice(i, i + perBatch)],
    });
  }
  return mine;
}

const newest = (rows: ArchiveRow[], n: number) =>
  rows
    .slice(-n)
    .reverse()
    .map((r) => r.scheduledAt);

describe('ObjectHistoryArchive', () => {
  describe('stage', () => {
    it('writes one object per batch, whatever tenants, jobs and days it holds, sorted by tenant and job', async () => {
      const { store, archive } = setup();
      const rows = [
        anArchiveRow(OTHER, at(1), { tenant: 'team-b' }),
        anArchiveRow(JOB, at(2)),
        anArchiveRow(JOB, '2026-03-07T23:00:00.000Z'),
      ];
      await archive.stage({ removedAt: REMOVED, rows });
      const [key] = store.keys();
      expect(store.keys()).toHaveLength(1);
      expect(key).toMatch(
        /^executions\/staging\/date=2026-06-07\/hour=10\/20260307T230000000Z-20260308T002000000Z-[0-9a-f]{16}\.jsonl\.gz$/,
      );
      expect(decodeRows(store.objects.get(key!)!, key!).map((r) => [r.tenant, r.scheduledAt])).toEqual([
        ['team-a', '2026-03-07T23:00:00.000Z'],
        ['team-a', at(2)],
        ['team-b', at(1)],
      ]);
    });

    it('rewrites the same object for the same batch, in any order, and writes nothing for an empty one', async () => {
      const { store, archive } = setup();
      const rows = [anArchiveRow(JOB, at(1)), anArchiveRow(JOB, at(2))];
      await archive.stage({ removedAt: REMOVED, rows });
      await archive.stage({ removedAt: REMOVED, rows: [...rows].reverse() });
      await archive.stage({ removedAt: REMOVED, rows: [] });
      expect(store.keys()).toHaveLength(1);
      expect(store.calls.put).toBe(2);
    });
  });

  describe('jobSlice', () => {
    it('pages a job’s rows still in staging, newest first, reading only objects whose span can hold the page', async () => {
      const { store, archive } = setup();
      const mine = await stageDay(archive, 1);
      store.resetCounts();
      const page = await archive.jobSlice({ tenant: 'team-a', jobId: JOB, filter: {}, limit: 10 });
      expect(page.items.map((r) => r.scheduledAt)).toEqual(newest(mine, 10));
      expect(page.completeTo).toBe(mine.at(-10)!.scheduledAt);
      // One LIST of staging and one of the tenant's indexes; one wave of 16 reads (newest spans first)
      // out of 144 objects, since it holds more than the 10 rows and the one that says more exist.
      expect(store.calls.list).toBe(2);
      expect(store.calls.get).toBe(16);
      const next = await archive.jobSlice({
        tenant: 'team-a',
        jobId: JOB,
        filter: {},
        before: page.completeTo!,
        limit: 10,
      });
      expect(next.items[0]!.scheduledAt).toBe(mine.at(-11)!.scheduledAt);
    });

    it('pages the same rows once compacted, with one index read and one byte range per day', async () => {
      const { store, archive, compact } = setup();
      const mine = await stageDay(archive, 24);
      await compact();
      expect(store.keys(STAGING_PREFIX)).toEqual([]);
      store.resetCounts();
      const page = await archive.jobSlice({ tenant: 'team-a', jobId: JOB, filter: {}, limit: 10 });
      expect(page.items.map((r) => r.scheduledAt)).toEqual(newest(mine, 10));
      expect(store.calls).toMatchObject({ list: 2, get: 2 });
      expect(store.reads).toEqual([
        'executions/index/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.json.gz',
        'executions/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.jsonl.gz',
      ]);
      const window = { from: mine[20]!.scheduledAt, to: mine[24]!.scheduledAt, status: 'succeeded' as const };
      const inWindow = await archive.jobSlice({ tenant: 'team-a', jobId: JOB, filter: window, limit: 10 });
      expect(inWindow.items.map((r) => r.scheduledAt)).toEqual(newest(mine.slice(20, 25), 5));
      expect(inWindow.completeTo).toBeNull();
    });

    it('counts a row once while it is both compacted and still staged (a run that died before deleting)', async () => {
      const { store, archive, compact } = setup();
      const mine = await stageDay(archive, 48);
      store.before = (operation) => {
        if (operation === 'delete') throw new Error('crash');
      };
      await compact();
      store.before = () => {};
      expect(store.keys(STAGING_PREFIX)).toHaveLength(3);
      expect(store.keys(PARTS_PREFIX)).toHaveLength(1);
      const all = await archive.jobSlice({ tenant: 'team-a', jobId: JOB, filter: {}, limit: 500 });
      expect(all.items.map((r) => r.scheduledAt)).toEqual(newest(mine, 144));
    });

    it('finds a row whose staging object was compacted and deleted while the page was being read', async () => {
      // Prepare: staging only; the compaction runs between the page's listing of staging and its
      // read of the object, after the page already looked for parts and found none.
      const { store, archive, compact } = setup();
      const mine = await stageDay(archive, 144);
      let indexesListed = false;
      let compacted = false;
      store.before = async (operation, key) => {
        if (operation === 'list' && key.startsWith(INDEX_PREFIX)) indexesListed = true;
        if (operation === 'get' && key.startsWith(STAGING_PREFIX) && !compacted) {
          compacted = true;
          while (!indexesListed) await new Promise((resolve) => setImmediate(resolve));
          store.before = () => {};
          await compact();
        }
      };
      // Act
      const page = await archive.jobSlice({ tenant: 'team-a', jobId: JOB, filter: {}, limit: 5 });
      // Assess
      expect(store.keys(STAGING_PREFIX)).toEqual([]);
      expect(page.items.map((r) => r.scheduledAt)).toEqual(newest(mine, 5));
    });

    it('keeps tenants apart: another tenant’s rows of a job with the same id are not listed', async () => {
      const { archive, compact } = setup();
      await archive.stage({
        removedAt: REMOVED,
        rows: [anArchiveRow(JOB, at(1)), anArchiveRow(JOB, at(2), { tenant: 'team-b' })],
      });
      const slice = () => archive.jobSlice({ tenant: 'team-b', jobId: JOB, filter: {}, limit: 10 });
      expect((await slice()).items.map((r) => r.scheduledAt)).toEqual([at(2)]);
      await compact();
      expect((await slice()).items.map((r) => r.scheduledAt)).toEqual([at(2)]);
    });

    it('reads nothing for an empty range', async () => {
      const { store, archive } = setup();
      const slice = await archive.jobSlice({
        tenant: 'team-a',
        jobId: JOB,
        filter: { from: at(5) },
        before: at(5),
        limit: 10,
      });
      expect(slice).toEqual({ items: [], completeTo: null });
      expect(store.calls.list).toBe(0);
    });
  });

  describe('find', () => {
    it('finds a staged execution, and a compacted one with one LIST, one index and one byte range', async () => {
      const { store, archive, compact } = setup();
      const mine = await stageDay(archive, 24);
      expect((await archive.find('team-a', mine[77]!.executionId))?.scheduledAt).toBe(at(77));
      await compact();
      store.resetCounts();
      expect((await archive.find('team-a', mine[77]!.executionId))?.scheduledAt).toBe(at(77));
      expect(store.calls).toMatchObject({ list: 1, get: 2 });
    });

    it('finds an execution compacted between its look at the parts and its look at staging', async () => {
      const { store, archive, compact } = setup();
      const mine = await stageDay(archive, 144);
      store.before = async (operation, key) => {
        if (operation === 'list' && key === STAGING_PREFIX) {
          store.before = () => {};
          await compact();
        }
      };
      expect((await archive.find('team-a', mine[5]!.executionId))?.scheduledAt).toBe(at(5));
    });

    it('is null for another tenant, an unknown or malformed id, or an instant no archive date holds', async () => {
      const { archive, compact } = setup();
      const mine = await stageDay(archive, 144);
      await compact();
      for (const id of [
        `${JOB}:2026-03-08T00:05:00.000Z`,
        `${JOB}:not-a-date`,
        ':2026-03-08T00:00:00.000Z',
        'nonsense',
        `${JOB}:+275760-09-13T00:00:00.000Z`,
      ]) {
        expect(await archive.find('team-a', id)).toBeNull();
      }
      expect(await archive.find('team-b', mine[3]!.executionId)).toBeNull();
    });
  });
});
