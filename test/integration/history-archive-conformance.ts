import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  batchObjectKey,
  datePrefix,
  type HistoryArchive,
  readPartition,
} from '../../lambdas/core/history.js';
import { anArchiveRow } from '../support/history-fixtures.js';

export interface ArchiveUnderTest {
  archive: HistoryArchive;
  /** Every stored key, sorted (the layout on disk or in the bucket). */
  keys(): Promise<string[]>;
  /** The stored bytes of one object, when the adapter stores bytes. */
  bytes?(key: string): Promise<Buffer>;
}

/** Every row of one job's date, as the archive's two read methods give it. */
const readDate = (archive: HistoryArchive, tenant: string, jobId: string, date: string) =>
  readPartition(archive, { tenant, jobId, date });

let counter = 0;
const uniqueJob = () => `job_${String(++counter).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`;

/** One suite for every HistoryArchive: S3 (on fauxqs), files (temp dir), and the in-memory fake. */
export function historyArchiveConformance(name: string, make: () => ArchiveUnderTest, storesBytes = true) {
  describe(`${name} HistoryArchive`, () => {
    it('has nothing for a job never archived', async () => {
      const { archive } = make();
      const jobId = uniqueJob();
      expect(await archive.listDates('team-a', jobId)).toEqual([]);
      expect(await readDate(archive, 'team-a', jobId, '2026-01-01')).toEqual([]);
    });

    it('stores objects under the partition layout and lists dates oldest first', async () => {
      const { archive, keys } = make();
      const jobId = uniqueJob();
      const late = anArchiveRow(jobId, '2026-03-09T23:59:59.999Z');
      const early = anArchiveRow(jobId, '2026-03-08T00:00:00.000Z');
      const lateKey = batchObjectKey({ tenant: 'team-a', jobId, date: '2026-03-09' }, '200', [late]);
      const earlyKey = batchObjectKey({ tenant: 'team-a', jobId, date: '2026-03-08' }, '100', [early]);
      await archive.putObject({ key: lateKey, rows: [late] });
      await archive.putObject({ key: earlyKey, rows: [early] });

      expect(await archive.listDates('team-a', jobId)).toEqual(['2026-03-08', '2026-03-09']);
      expect(await readDate(archive, 'team-a', jobId, '2026-03-09')).toEqual([late]);
      expect(await readDate(archive, 'team-a', jobId, '2026-03-08')).toEqual([early]);
      const stored = (await keys()).filter((k) => k.includes(jobId));
      expect(stored).toEqual([earlyKey, lateKey]);
      expect(earlyKey).toMatch(
        new RegExp(
          `^executions/tenant=team-a/job=${jobId}/date=2026-03-08/000000000-000000000-100-[0-9a-f]{16}\\.jsonl\\.gz$`,
        ),
      );
    });

    it('replaces an object written again under the same key (a retried batch adds no rows)', async () => {
      const { archive, keys } = make();
      const jobId = uniqueJob();
      const rows = [
        anArchiveRow(jobId, '2026-03-08T10:00:00.000Z'),
        anArchiveRow(jobId, '2026-03-08T11:00:00.000Z'),
      ];
      const key = batchObjectKey({ tenant: 'team-a', jobId, date: '2026-03-08' }, '7', rows);
      await archive.putObject({ key, rows });
      await archive.putObject({ key, rows });
      expect(await readDate(archive, 'team-a', jobId, '2026-03-08')).toEqual(rows);
      expect((await keys()).filter((k) => k.includes(jobId))).toHaveLength(1);
    });

    it('reads every object of a date, in key order', async () => {
      const { archive } = make();
      const jobId = uniqueJob();
      const partition = { tenant: 'team-a', jobId, date: '2026-03-08' };
      const first = anArchiveRow(jobId, '2026-03-08T01:00:00.000Z');
      const second = anArchiveRow(jobId, '2026-03-08T02:00:00.000Z', { status: 'failed' });
      await archive.putObject({ key: batchObjectKey(partition, '20', [second]), rows: [second] });
      await archive.putObject({ key: batchObjectKey(partition, '10', [first]), rows: [first] });
      expect(await readDate(archive, 'team-a', jobId, '2026-03-08')).toEqual([first, second]);
    });

    it('keeps tenants and jobs apart, even with ids that share a prefix or hold path characters', async () => {
      const { archive } = make();
      const jobId = uniqueJob();
      const date = '2026-03-08';
      const mine = anArchiveRow(jobId, `${date}T01:00:00.000Z`);
      const longerId = anArchiveRow(`${jobId}0`, `${date}T01:00:00.000Z`);
      const oddTenant = anArchiveRow(jobId, `${date}T02:00:00.000Z`, { tenant: '../team a/b' });
      for (const row of [mine, longerId, oddTenant]) {
        const partition = { tenant: row.tenant, jobId: row.jobId, date };
        await archive.putObject({ key: batchObjectKey(partition, '1', [row]), rows: [row] });
      }
      expect(await readDate(archive, 'team-a', jobId, date)).toEqual([mine]);
      expect(await readDate(archive, '../team a/b', jobId, date)).toEqual([oddTenant]);
      expect(await readDate(archive, 'team-b', jobId, date)).toEqual([]);
      expect(await archive.listDates('team-a', jobId)).toEqual([date]);
      expect(datePrefix({ tenant: '../team a/b', jobId, date })).toBe(
        `executions/tenant=..%2Fteam%20a%2Fb/job=${jobId}/date=${date}/`,
      );
    });

    it('refuses a date that is not yyyy-mm-dd instead of reading outside the partition', async () => {
      const { archive } = make();
      await expect(readDate(archive, 'team-a', uniqueJob(), '../../x')).rejects.toThrow(
        /not an archive date/,
      );
    });

    if (!storesBytes) return;
    it('stores gzip JSON Lines, one execution per line', async () => {
      const { archive, bytes } = make();
      const jobId = uniqueJob();
      const rows = [
        anArchiveRow(jobId, '2026-03-08T10:00:00.000Z'),
        anArchiveRow(jobId, '2026-03-08T11:00:00.000Z'),
      ];
      const key = batchObjectKey({ tenant: 'team-a', jobId, date: '2026-03-08' }, '3', rows);
      await archive.putObject({ key, rows });
      const lines = gunzipSync(await bytes!(key))
        .toString('utf8')
        .split('\n');
      expect(lines.at(-1)).toBe('');
      expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toEqual(rows);
    });
  });
}
