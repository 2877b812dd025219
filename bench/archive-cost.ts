/**
 * What the execution archive costs, measured on its real code: the archiver's stream-batch code
 * and the compactor, over the real S3 store whose client is answered by an in-memory bucket that
 * counts every request (test/support/s3-bucket-mock.ts). No AWS call, no emulator.
 *
 * `npx tsx bench/archive-cost.ts` archives a minute of 10,000 runs over 2,500 jobs of 25 tenants
 * and walks a year of one job's history, and prints the JSON. `npm run bench:quick` puts the same
 * pass over its sustained scenario's executions in the summary's `archive` block;
 * test/integration/history-cost.test.ts asserts these figures.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ArchiveCompactor } from '../lambdas/adapters/archive-compactor.js';
import { INDEX_PREFIX, PARTS_PREFIX, STAGING_PREFIX } from '../lambdas/adapters/archive-layout.js';
import { executionOfItem } from '../lambdas/adapters/dynamo-execution-items.js';
import { ObjectHistoryArchive } from '../lambdas/adapters/object-history-archive.js';
import { S3ArchiveStore } from '../lambdas/adapters/s3-archive-store.js';
import { archiveStreamBatch } from '../lambdas/archiver/stream-batch.js';
import type { ExecutionRecord } from '../schemas/records.js';
import type { StreamRecord } from '../schemas/stream.js';
import { type FakeBucket, fakeBucket } from '../test/support/s3-bucket-mock.js';
import { silentLogger } from '../test/support/services.js';
import { ttlRemoval } from '../test/support/stream-records.js';
import { type Bench, EXECUTIONS_TABLE } from './harness.js';
import { typicalExecution, walkYearOfOneJob } from './history-year.js';
import { archiveRequestsPerMillion, archiveStoragePerMillion } from './pricing.js';

const DAY = 86_400_000;

/**
 * How DynamoDB Streams and Lambda hand TTL removals to the archiver: Executions are keyed by
 * execution id, so removals spread over the stream's shards; each shard's records reach the
 * archiver in batches of up to `batchSize` (lib/constructs/archiver.ts: 1,000, a 300 s window).
 */
export interface StreamShape {
  shards: number;
  batchSize: number;
}

export const STREAM: StreamShape = { shards: 4, batchSize: 1000 };

export interface Requests {
  puts: number;
  gets: number;
  lists: number;
  deletes: number;
}

export interface ArchivePass {
  executions: number;
  tenants: number;
  jobs: number;
  stream: StreamShape;
  stagingObjects: number;
  compaction: { shards: number; parts: number; ms: number };
  requests: { archiver: Requests; compactor: Requests };
  perExecution: Requests;
  /** Of the archive's requests per million executions, at list prices (DELETE is free). */
  usdPerMillion: { puts: number; gets: number; lists: number; total: number };
  bytes: { stagingPerExecution: number; partsPerExecution: number; indexesPerExecution: number };
  /** Compacted bytes kept 400 days in S3 Standard (the upper bound), per million executions. */
  storageUsdPerMillion: number;
}

function requestsOf(bucket: FakeBucket): Requests {
  return {
    puts: bucket.calls.PutObjectCommand ?? 0,
    gets: bucket.calls.GetObjectCommand ?? 0,
    lists: bucket.calls.ListObjectsV2Command ?? 0,
    deletes: bucket.calls.DeleteObjectsCommand ?? 0,
  };
}

const bytesUnder = (bucket: FakeBucket, prefix: string) =>
  [...bucket.objects.entries()]
    .filter(([key]) => key.startsWith(prefix))
    .reduce((n, [, b]) => n + b.length, 0);

const round = (n: number, digits = 6) => Number(n.toFixed(digits));

/** The stream batches the archiver receives for these removals, in removal order per shard. */
export function streamBatches(executions: ExecutionRecord[], stream: StreamShape = STREAM): StreamRecord[][] {
  const shards: StreamRecord[][] = Array.from({ length: stream.shards }, () => []);
  const removed = [...executions].sort((a, b) => a.expiresAt! - b.expiresAt!);
  for (const [i, item] of removed.entries()) {
    // A stream's shards follow the table's partition key: a job's executions share one.
    const shard = createHash('sha256').update(item.jobId).digest().readUInt32BE(0) % stream.shards;
    shards[shard]!.push(ttlRemoval(item, String(1e12 + i), item.expiresAt!));
  }
  return shards.flatMap((records) =>
    Array.from({ length: Math.ceil(records.length / stream.batchSize) }, (_, b) =>
      records.slice(b * stream.batchSize, (b + 1) * stream.batchSize),
    ),
  );
}

/**
 * One real archive pass: the executions leave the hot table (TTL), the archiver stages each stream
 * batch, and once their removal date has settled the compactor turns the staging into parts.
 */
export async function archivePass(
  executions: ExecutionRecord[],
  stream: StreamShape = STREAM,
): Promise<ArchivePass> {
  const removed = executions.filter((e) => e.expiresAt !== undefined);
  const bucket = fakeBucket();
  const store = new S3ArchiveStore(bucket.client, 'archive');
  const archive = new ObjectHistoryArchive(store);
  for (const batch of streamBatches(removed, stream)) {
    const report = await archiveStreamBatch(archive, batch, silentLogger);
    if (report.batchItemFailures.length > 0) throw new Error('the archive pass failed to stage a batch');
  }
  const archiver = requestsOf(bucket);
  const stagingBytes = bytesUnder(bucket, STAGING_PREFIX);
  const stagingObjects = [...bucket.objects.keys()].filter((k) => k.startsWith(STAGING_PREFIX)).length;
  for (const name of Object.keys(bucket.calls)) delete bucket.calls[name];

  const lastRemoval = removed.reduce((latest, e) => Math.max(latest, e.expiresAt! * 1000), 0);
  const compactor = new ArchiveCompactor(store, {
    clock: { now: () => lastRemoval + 3 * DAY },
    log: silentLogger,
  });
  const started = performance.now();
  const report = await compactor.compact();
  const ms = Math.round(performance.now() - started);
  if (report.failed.length > 0 || report.rows !== removed.length)
    throw new Error(`the compaction of the archive pass failed: ${JSON.stringify(report)}`);
  const compaction = requestsOf(bucket);

  const n = Math.max(1, removed.length);
  const perExecution: Requests = {
    puts: round((archiver.puts + compaction.puts) / n),
    gets: round((archiver.gets + compaction.gets) / n),
    lists: round((archiver.lists + compaction.lists) / n),
    deletes: round((archiver.deletes + compaction.deletes) / n),
  };
  const partsPerExecution = Math.round(bytesUnder(bucket, PARTS_PREFIX) / n);
  return {
    executions: removed.length,
    tenants: new Set(removed.map((e) => e.tenant)).size,
    jobs: new Set(removed.map((e) => e.jobId)).size,
    stream,
    stagingObjects,
    compaction: { shards: report.shards, parts: report.parts, ms },
    requests: { archiver, compactor: compaction },
    perExecution,
    usdPerMillion: archiveRequestsPerMillion(perExecution),
    bytes: {
      stagingPerExecution: Math.round(stagingBytes / n),
      partsPerExecution,
      indexesPerExecution: round(bytesUnder(bucket, INDEX_PREFIX) / n, 1),
    },
    storageUsdPerMillion: archiveStoragePerMillion(partsPerExecution, 400),
  };
}

/**
 * `perMinute` runs a minute for `minutes`, spread over `jobs` jobs of `tenants` tenants, finished
 * and expiring 90 days later: what leaves the hot table together on one day.
 */
export function minuteOfRuns(options: { perMinute: number; minutes: number; jobs: number; tenants: number }) {
  const start = Date.parse('2026-03-08T12:00:00.000Z');
  const runsPerJob = Math.max(1, Math.round((options.perMinute * options.minutes) / options.jobs));
  const executions: ExecutionRecord[] = [];
  for (let j = 0; j < options.jobs; j++) {
    const jobId = `job_${String(j).padStart(6, '0')}`;
    const tenant = `tenant-${String(j % options.tenants).padStart(3, '0')}`;
    for (let r = 0; r < runsPerJob; r++) {
      const at = start + Math.floor(((r + j / options.jobs) * options.minutes * 60_000) / runsPerJob);
      executions.push({ ...typicalExecution(jobId, at, r % 10 === 9 ? 3 : 1), tenant });
    }
  }
  return executions;
}

/** Finished executions scheduled in [from, to) (a scenario's window), read from the bench's table. */
export async function executionsScheduledIn(
  bench: Bench,
  from: string,
  to: string,
): Promise<ExecutionRecord[]> {
  const found: ExecutionRecord[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await bench.probe.dynamo.send(
      new ScanCommand({ TableName: EXECUTIONS_TABLE, ExclusiveStartKey: start, Limit: 1000 }),
    );
    for (const raw of out.Items ?? []) {
      // Items carry their key, not the execution id: decode them as the adapter does.
      const item = executionOfItem(unmarshall(raw));
      if (item.expiresAt !== undefined && item.scheduledAt >= from && item.scheduledAt < to) found.push(item);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return found;
}

/** The `archive` block of bench:quick: a real archive pass over the sustained scenario's executions. */
export async function measureArchive(bench: Bench, window: { startAt: string; minutes: number }) {
  const to = new Date(Date.parse(window.startAt) + window.minutes * 60_000).toISOString();
  const executions = await executionsScheduledIn(bench, window.startAt, to);
  return {
    basis: 'the sustained scenario’s finished executions, removed by TTL, staged and compacted',
    ...(await archivePass(executions)),
  };
}

async function main() {
  const pass = await archivePass(minuteOfRuns({ perMinute: 10_000, minutes: 1, jobs: 2_500, tenants: 25 }));
  const hourly = await walkYearOfOneJob({ everyMs: 3_600_000 });
  const everyMinute = await walkYearOfOneJob({ everyMs: 60_000, compactedDaysWalked: 3 });
  process.stdout.write(`${JSON.stringify({ pass, yearOfOneJob: { hourly, everyMinute } }, null, 1)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`archive-cost failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
