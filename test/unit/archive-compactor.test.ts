import { describe, expect, it } from 'vitest';
import { decodeIndex } from '../../lambdas/adapters/archive-codec.js';
import { ArchiveCompactor } from '../../lambdas/adapters/archive-compactor.js';
import {
  COMPACTION_PREFIX,
  INDEX_PREFIX,
  PARTS_PREFIX,
  STAGING_PREFIX,
} from '../../lambdas/adapters/archive-layout.js';
import { ObjectHistoryArchive } from '../../lambdas/adapters/object-history-archive.js';
import type { ArchiveRow } from '../../schemas/archive.js';
import { anArchiveRow } from '../support/history-fixtures.js';
import { FakeClock } from '../support/memory.js';
import { MemoryArchiveStore } from '../support/memory-archive-store.js';
import { silentLogger } from '../support/services.js';

const HOUR = 3_600_000;
/** Batches leave the hot table on 7 June; that date settles 25 h after it ends. */
const REMOVED = Date.parse('2026-06-07T10:00:00.000Z');
const SETTLED = Date.parse('2026-06-09T01:00:00.000Z');

const row = (tenant: string, jobId: string, scheduledAt: string, overrides: Partial<ArchiveRow> = {}) =>
  anArchiveRow(jobId, scheduledAt, { tenant, ...overrides });

/** Three stream batches of 7 June: two tenants (sharing a job id), three jobs, rows of 8 and 9 March. */
const batches: ArchiveRow[][] = [
  [
    row('team-a', 'job_a', '2026-03-08T10:00:00.000Z'),
    row('team-b', 'job_a', '2026-03-08T10:00:00.000Z'),
    row('team-a', 'job_b', '2026-03-08T09:00:00.000Z', { status: 'failed' }),
    row('team-a', 'job_a', '2026-03-08T11:00:00.000Z'),
  ],
  [row('team-a', 'job_c', '2026-03-08T23:59:59.999Z'), row('team-a', 'job_a', '2026-03-09T00:00:00.000Z')],
  [row('team-a', 'job_a', '2026-03-08T12:00:00.000Z')],
];
const ALL = batches.flat();

function setup(options: { shardBytes?: number; now?: number } = {}) {
  const store = new MemoryArchiveStore();
  const archive = new ObjectHistoryArchive(store);
  const clock = new FakeClock(options.now ?? SETTLED);
  const compactor = (overrides: { shardBytes?: number } = {}) =>
    new ArchiveCompactor(store, { clock, log: silentLogger, ...options, ...overrides });
  const stage = async (list = batches) => {
    for (const [i, rows] of list.entries()) await archive.stage({ removedAt: REMOVED + i * HOUR, rows });
  };
  return { store, archive, clock, compactor, stage };
}

/** Every archived execution id of a tenant's job, newest first, as the API would page them. */
async function historyOf(archive: ObjectHistoryArchive, tenant: string, jobId: string): Promise<string[]> {
  const ids: string[] = [];
  let before: string | undefined;
  for (;;) {
    const slice = await archive.jobSlice({ tenant, jobId, filter: {}, before, limit: 2 });
    ids.push(...slice.items.map((r) => `${r.tenant}/${r.executionId}`));
    if (slice.completeTo === null) return ids;
    before = slice.completeTo;
  }
}

/** What every job's history holds: each archived row exactly once, wherever it sits. */
async function everyHistory(archive: ObjectHistoryArchive): Promise<string[]> {
  const jobs = [...new Set(ALL.map((r) => `${r.tenant}|${r.jobId}`))];
  const ids = await Promise.all(jobs.map((j) => historyOf(archive, j.split('|')[0]!, j.split('|')[1]!)));
  return ids.flat().sort();
}

const expected = ALL.map((r) => `${r.tenant}/${r.executionId}`).sort();

const snapshot = (store: MemoryArchiveStore) =>
  Object.fromEntries(store.keys().map((key) => [key, Buffer.from(store.objects.get(key)!).toString('hex')]));

describe('ArchiveCompactor', () => {
  it('compacts a settled removal date into one part per tenant and scheduled day, sorted by job, and removes its staging', async () => {
    // Prepare
    const s = setup();
    await s.stage();
    expect(s.store.keys(STAGING_PREFIX)).toHaveLength(3);
    // Act
    const report = await s.compactor().compact();
    // Assess
    expect(report).toMatchObject({
      compacted: ['2026-06-07'],
      pending: [],
      failed: [],
      shards: 1,
      rows: ALL.length,
      parts: 3,
      stagingDeleted: 3,
    });
    expect(s.store.keys(STAGING_PREFIX)).toEqual([]);
    expect(s.store.keys(PARTS_PREFIX)).toEqual([
      'executions/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.jsonl.gz',
      'executions/tenant=team-a/date=2026-03-09/2026-06-07-g0001-s0of1.jsonl.gz',
      'executions/tenant=team-b/date=2026-03-08/2026-06-07-g0001-s0of1.jsonl.gz',
    ]);
    const index = decodeIndex(
      s.store.objects.get('executions/index/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.json.gz')!,
      'i',
    );
    expect(index.segments.map((seg) => [seg.jobId, seg.rows, seg.first, seg.last])).toEqual([
      ['job_a', 3, '2026-03-08T10:00:00.000Z', '2026-03-08T12:00:00.000Z'],
      ['job_b', 1, '2026-03-08T09:00:00.000Z', '2026-03-08T09:00:00.000Z'],
      ['job_c', 1, '2026-03-08T23:59:59.999Z', '2026-03-08T23:59:59.999Z'],
    ]);
    expect(s.store.keys(COMPACTION_PREFIX)).toEqual([
      'executions/compaction/date=2026-06-07/g0001-s0000.done',
      'executions/compaction/date=2026-06-07/g0001.json',
    ]);
    expect(await everyHistory(s.archive)).toEqual(expected);
  });

  it('leaves a removal date alone until a day after it ended (stream records are retried for 24 h)', async () => {
    const s = setup({ now: SETTLED - 1 });
    await s.stage();
    const report = await s.compactor().compact();
    expect(report).toMatchObject({ compacted: [], pending: [], shards: 0 });
    expect(s.store.keys(STAGING_PREFIX)).toHaveLength(3);
    expect(s.store.calls.get).toBe(0);
  });

  it('keeps each execution once when a batch was staged twice, whole and bisected', async () => {
    const s = setup();
    await s.stage();
    // Lambda delivered batch 0 again (same object, same key), and bisected it after a timeout (new keys).
    await s.archive.stage({ removedAt: REMOVED, rows: batches[0]! });
    await s.archive.stage({ removedAt: REMOVED + 5, rows: batches[0]!.slice(0, 2) });
    await s.archive.stage({ removedAt: REMOVED + 5, rows: batches[0]!.slice(2) });
    expect(s.store.keys(STAGING_PREFIX)).toHaveLength(5);
    expect((await s.compactor().compact()).rows).toBe(ALL.length);
    expect(await everyHistory(s.archive)).toEqual(expected);
  });

  describe('crash safety', () => {
    /** Every put and delete of a clean run, in order: the points a run can die at. */
    async function cleanRun() {
      const s = setup();
      await s.stage();
      const operations: string[] = [];
      s.store.before = (operation, key) => {
        if (operation === 'put' || operation === 'delete') operations.push(`${operation} ${key}`);
      };
      await s.compactor().compact();
      return { operations, final: snapshot(s.store) };
    }

    it('loses and duplicates nothing whichever write fails, and the next run ends where a clean one does', async () => {
      const clean = await cleanRun();
      expect(clean.operations.length).toBeGreaterThan(8);
      for (const [n, failing] of clean.operations.entries()) {
        // Prepare: the run dies at write n.
        const s = setup();
        await s.stage();
        let count = 0;
        s.store.before = (operation, key) => {
          if ((operation === 'put' || operation === 'delete') && count++ === n)
            throw new Error(`crash at ${operation} ${key}`);
        };
        // Act
        const first = await s.compactor().compact();
        // Assess: the date is left pending, and every row reads once meanwhile.
        expect(first.failed, failing).toHaveLength(1);
        expect(await everyHistory(s.archive), failing).toEqual(expected);
        s.store.before = () => {};
        const second = await s.compactor().compact();
        expect(second.compacted, failing).toEqual(['2026-06-07']);
        expect(snapshot(s.store), failing).toEqual(clean.final);
        expect(await everyHistory(s.archive), failing).toEqual(expected);
      }
    });

    it('ends in the same archive when two runs overlap', async () => {
      const clean = await cleanRun();
      const s = setup();
      await s.stage();
      // Every store call yields, so the two runs interleave at every step.
      s.store.before = () => new Promise((resolve) => setImmediate(resolve));
      const [a, b] = await Promise.all([s.compactor().compact(), s.compactor().compact()]);
      expect([...a.compacted, ...b.compacted]).toEqual(['2026-06-07', '2026-06-07']);
      expect(snapshot(s.store)).toEqual(clean.final);
      expect(await everyHistory(s.archive)).toEqual(expected);
    });
  });

  it('compacts a batch staged under a date after its compaction as a generation of its own', async () => {
    const s = setup();
    await s.stage(batches.slice(0, 2));
    await s.compactor().compact();
    // Late (a local sweeper that failed for long): rows of 8 March again, and a row staged before.
    await s.archive.stage({ removedAt: REMOVED + 13 * HOUR, rows: [...batches[2]!, batches[0]![0]!] });
    const report = await s.compactor().compact();
    expect(report).toMatchObject({ compacted: ['2026-06-07'], parts: 1, stagingDeleted: 1 });
    expect(s.store.keys('executions/tenant=team-a/date=2026-03-08/')).toEqual([
      'executions/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.jsonl.gz',
      'executions/tenant=team-a/date=2026-03-08/2026-06-07-g0002-s0of1.jsonl.gz',
    ]);
    // The row in both generations is one execution to every reader.
    expect(await everyHistory(s.archive)).toEqual(expected);
  });

  it('deletes a compacted batch delivered again after its compaction, without a new generation', async () => {
    const s = setup();
    await s.stage();
    await s.compactor().compact();
    const before = snapshot(s.store);
    await s.archive.stage({ removedAt: REMOVED, rows: batches[0]! });
    const report = await s.compactor().compact();
    expect(report).toMatchObject({ compacted: ['2026-06-07'], shards: 0, stagingDeleted: 1 });
    expect(snapshot(s.store)).toEqual(before);
  });

  it('stops at a staging object its plan names but that is gone, keeps the rest, and goes on with other dates', async () => {
    const s = setup();
    await s.stage();
    await s.archive.stage({
      removedAt: REMOVED - 24 * HOUR,
      rows: [row('team-a', 'job_z', '2026-03-07T00:00:00.000Z')],
    });
    // The plan exists, then one of its objects disappears (an operator's mistake, a bucket policy).
    let planned = false;
    s.store.before = (operation, key) => {
      if (operation === 'put' && key.endsWith('g0001.json') && key.includes('2026-06-07')) planned = true;
      if (operation === 'get' && planned && key.startsWith(STAGING_PREFIX) && key.includes('hour=11')) {
        s.store.objects.delete(key);
      }
    };
    const report = await s.compactor().compact();
    expect(report.compacted).toEqual(['2026-06-06']);
    expect(report.failed).toEqual([
      { date: '2026-06-07', error: expect.stringMatching(/staging object .*hour=11.* is missing/) },
    ]);
    expect(s.store.keys(STAGING_PREFIX)).toHaveLength(2);
    expect(s.store.keys(PARTS_PREFIX).filter((k) => k.includes('2026-06-07-'))).toEqual([]);
  });

  it('splits a large date into shards, each job in exactly one part per tenant and day', async () => {
    const s = setup({ shardBytes: 400 });
    const many = Array.from({ length: 40 }, (_, i) => row('team-a', `job_${i}`, '2026-03-08T10:00:00.000Z'));
    await s.archive.stage({ removedAt: REMOVED, rows: many.slice(0, 20) });
    await s.archive.stage({ removedAt: REMOVED + HOUR, rows: many.slice(20) });
    const report = await s.compactor().compact();
    expect(report.shards).toBeGreaterThan(1);
    const parts = s.store.keys(INDEX_PREFIX).map((key) => decodeIndex(s.store.objects.get(key)!, key));
    expect(parts).toHaveLength(report.shards);
    expect(parts.flatMap((p) => p.segments.map((seg) => seg.jobId)).sort()).toEqual(
      many.map((r) => r.jobId).sort(),
    );
    // A reader reads the one index its job's shard wrote, not every shard's.
    s.store.resetCounts();
    expect(
      (await s.archive.jobSlice({ tenant: 'team-a', jobId: 'job_7', filter: {}, limit: 10 })).items,
    ).toHaveLength(1);
    expect(s.store.reads.filter((k) => k.startsWith(INDEX_PREFIX))).toHaveLength(1);
  });

  it('starts no shard past its deadline, and the next run finishes the date', async () => {
    const s = setup();
    await s.stage();
    const stopped = await s.compactor().compact(SETTLED);
    expect(stopped).toMatchObject({ compacted: [], pending: ['2026-06-07'], shards: 0, stagingDeleted: 0 });
    expect(s.store.keys(COMPACTION_PREFIX)).toEqual(['executions/compaction/date=2026-06-07/g0001.json']);
    expect((await s.compactor().compact()).compacted).toEqual(['2026-06-07']);
    expect(await everyHistory(s.archive)).toEqual(expected);
  });
});
