import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeArchiveObject } from '../../lambdas/adapters/archive-codec.js';
import { S3HistoryArchive } from '../../lambdas/adapters/s3-history-archive.js';
import { batchObjectKey, partitionOf, toJsonLines } from '../../lambdas/core/history.js';
import type { ExecutionFilter } from '../../lambdas/core/ports.js';
import { ArchiveService, archiveRowOf } from '../../lambdas/services/archive-service.js';
import { silentLogger } from '../../lambdas/services/deps.js';
import { JobsService } from '../../lambdas/services/jobs-service.js';
import type { ExecutionItem } from '../../schemas/stored.js';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { fakeBucket } from '../support/s3-bucket-mock.js';
import { fakeDeps } from '../support/services.js';
import { ttlRemoval } from '../support/stream-records.js';
import { aJob } from './store-conformance.js';

/**
 * The figures docs/history.md quotes: bytes per archived execution, and the requests one job's
 * one-year history costs, counted on the real S3 adapter (its client answered by an in-memory
 * bucket) and on the hot store's queries. An hourly job, 8,760 runs, 90 days hot.
 */
const HOUR = 3_600_000;
const NOW = Date.parse('2026-06-01T00:30:00.000Z');
const HOT_SECONDS = 90 * 86_400;
const figures: Record<string, unknown> = {};

afterAll(() => {
  process.stdout.write(`history cost figures: ${JSON.stringify(figures, null, 2)}\n`);
});

function yearOfHourlyRuns(jobId: string): ExecutionItem[] {
  const runs: ExecutionItem[] = [];
  for (let t = Date.parse('2025-06-01T01:00:00.000Z'); t <= NOW; t += HOUR) {
    const finishedAt = t + 250;
    runs.push(
      aFinishedExecution(jobId, new Date(t).toISOString(), {
        finishedAt: new Date(finishedAt).toISOString(),
        expiresAt: Math.floor(finishedAt / 1000) + HOT_SECONDS,
      }),
    );
  }
  return runs;
}

/** A year of one job's history, split as TTL would leave it, archived in stream batches of `perBatch` runs. */
async function setup(perBatch: number) {
  const bucket = fakeBucket();
  const f = fakeDeps(NOW);
  f.deps.settings.hotRetentionSeconds = HOT_SECONDS;
  const archive = new S3HistoryArchive(bucket.client, 'archive');
  f.deps.archive = archive;
  const job = aJob({ tenant: 'team-a' });
  f.jobs.items.set(job.jobId, job);
  const runs = yearOfHourlyRuns(job.jobId);
  const hot = runs.filter((r) => r.expiresAt! * 1000 > NOW);
  const cold = runs.filter((r) => r.expiresAt! * 1000 <= NOW);
  for (const item of hot) await f.executions.createExecution(item);
  // What the archiver leaves after stream batches of `perBatch` runs: one object per batch and date
  // (ArchiveService itself is exercised in test/unit/archive-service.test.ts; here only the layout matters).
  for (let i = 0; i < cold.length; i += perBatch) {
    const rows = cold.slice(i, i + perBatch).map(archiveRowOf);
    const key = batchObjectKey(
      partitionOf(rows[0]!),
      String(1e12 + i),
      rows.map((r) => r.executionId),
    );
    bucket.objects.set(key, encodeArchiveObject(rows));
  }
  const listsBefore = bucket.calls.ListObjectsV2Command ?? 0;
  const getsBefore = bucket.calls.GetObjectCommand ?? 0;
  let queries = 0;
  let hotItemsRead = 0;
  let listed = 0;
  let got = 0;
  const listByJob = f.executions.listByJob.bind(f.executions);
  f.executions.listByJob = async (...args) => {
    queries++;
    const page = await listByJob(...args);
    hotItemsRead += page.items.length;
    return page;
  };
  return {
    service: new JobsService(f.deps),
    job,
    runs,
    hot,
    cold,
    objects: bucket.objects,
    /** Reads since the last call. */
    counters: () => {
      const read = {
        queries,
        hotItemsRead,
        lists: (bucket.calls.ListObjectsV2Command ?? 0) - listsBefore - listed,
        gets: (bucket.calls.GetObjectCommand ?? 0) - getsBefore - got,
      };
      listed += read.lists;
      got += read.gets;
      queries = 0;
      hotItemsRead = 0;
      return read;
    },
  };
}

async function walkYear(service: JobsService, jobId: string, filter: ExecutionFilter = {}) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await service.listExecutions('team-a', jobId, filter, 100, cursor);
    pages++;
    ids.push(...page.items.map((e) => e.executionId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { ids, pages };
}

describe('history read cost, one hourly job over a year', () => {
  let perRun: Awaited<ReturnType<typeof setup>>;

  beforeAll(async () => {
    // An hourly job's runs expire an hour apart: each TTL removal lands in its own stream batch.
    perRun = await setup(1);
  });

  it('measures the bytes of an archived execution', () => {
    const item = yearOfHourlyRuns('job_01JCOST000000000000000000')[0]!;
    const line = toJsonLines([archiveRowOf(item)]);
    const day = toJsonLines(yearOfHourlyRuns('job_01JCOST000000000000000000').slice(0, 24).map(archiveRowOf));
    figures.bytesPerExecution = {
      jsonLine: Buffer.byteLength(line),
      gzipAlone: gzipSync(line).length,
      gzipIn24RowObject: Math.round(gzipSync(day).length / 24),
      hotItemApprox: Buffer.byteLength(JSON.stringify(item)),
    };
    figures.rowsPerArchivedExecution = 1;
    expect(Buffer.byteLength(line)).toBeLessThan(1024);
  });

  it('counts the PUTs the archiver makes per execution', async () => {
    // Two whole days (the runs start at 01:00): a day's batch is one date partition.
    const runs = yearOfHourlyRuns('job_01JCOSTPUTS00000000000000').slice(23, 71);
    const puts: Record<string, number> = {};
    for (const [name, perBatch] of [
      ['batchPerRun', 1],
      ['batchPerDay', 24],
    ] as const) {
      const bucket = fakeBucket();
      const archiver = new ArchiveService(new S3HistoryArchive(bucket.client, 'archive'), silentLogger);
      for (let i = 0; i < runs.length; i += perBatch) {
        await archiver.archiveRecords(
          runs.slice(i, i + perBatch).map((r, n) => ttlRemoval(r, String(i + n + 1))),
        );
      }
      puts[name] = (bucket.calls.PutObjectCommand ?? 0) / runs.length;
    }
    figures.putsPerArchivedExecution = puts;
    expect(puts).toEqual({ batchPerRun: 1, batchPerDay: 1 / 24 });
  });

  for (const perBatch of [1, 24]) {
    it(`walks 8,760 runs newest first in pages of 100 — ${perBatch === 1 ? 'one object per run' : 'one object per day'}`, async () => {
      const s = perBatch === 1 ? perRun : await setup(perBatch);
      s.counters();
      const { ids, pages } = await walkYear(s.service, s.job.jobId);
      const expected = s.runs.map((r) => r.executionId).reverse();
      expect(ids).toEqual(expected);
      const read = s.counters();
      const hotPages = Math.floor(s.hot.length / 100);
      figures[`yearWalk_${perBatch === 1 ? 'objectPerRun' : 'objectPerDay'}`] = {
        executions: s.runs.length,
        hot: s.hot.length,
        archived: s.cold.length,
        objects: s.objects.size,
        pages,
        dynamoQueries: read.queries,
        hotItemsRead: read.hotItemsRead,
        s3List: read.lists,
        s3Get: read.gets,
        s3RequestsPerColdPage: (read.lists + read.gets) / (pages - hotPages),
        usdS3: (read.lists * 0.005 + read.gets * 0.0004) / 1000,
      };
      // Recent pages cost no S3 request at all; every archived object is read about once (plus page edges).
      expect(read.gets).toBeLessThan(s.objects.size * 1.5);
      expect(read.lists).toBeLessThan(pages * 8);
    });
  }

  it('finds one archived execution with one LIST and the GETs of its date', async () => {
    const s = perRun;
    s.counters();
    const target = s.cold[1000]!;
    const found = await s.service.getExecution('team-a', target.executionId);
    expect(found.executionId).toBe(target.executionId);
    const read = s.counters();
    figures.getArchivedExecution = { dynamoGets: 1, s3List: read.lists, s3Get: read.gets };
    expect(read.lists).toBe(1);
    expect(read.gets).toBe(24);
  });

  it('a week of failures costs the partitions of that week only', async () => {
    const s = perRun;
    s.counters();
    const from = new Date(NOW - 200 * 86_400_000).toISOString();
    const to = new Date(NOW - 193 * 86_400_000).toISOString();
    const { ids } = await walkYear(s.service, s.job.jobId, { status: 'failed', from, to });
    expect(ids).toEqual([]);
    const read = s.counters();
    figures.weekOfFailures = { s3List: read.lists, s3Get: read.gets, dynamoQueries: read.queries };
    expect(read.gets).toBeLessThanOrEqual(8 * 24);
  });
});
