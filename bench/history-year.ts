/**
 * What a year of one job's history costs to read through the API (`GET /v1/jobs/{id}/executions`,
 * every page of 100, newest first): the real QueryService over a stand-in of the `byJob` index that
 * counts the items each Query reads and their read units, and the real archive (staging objects
 * and compacted parts written by the real archiver and compactor) in an in-memory S3 bucket that
 * counts every request. Used by bench/archive-cost.ts and test/integration/history-cost.test.ts.
 */
import { ArchiveCompactor } from '../lambdas/adapters/archive-compactor.js';
import { INDEX_PREFIX, PARTS_PREFIX, STAGING_PREFIX } from '../lambdas/adapters/archive-layout.js';
import { ObjectHistoryArchive } from '../lambdas/adapters/object-history-archive.js';
import { S3ArchiveStore } from '../lambdas/adapters/s3-archive-store.js';
import type { ExecutionFilter } from '../lambdas/core/ports/execution-store.js';
import type { Page } from '../lambdas/core/ports/page.js';
import { archiveRowOf } from '../lambdas/services/history/archive-rows.js';
import { QueryService } from '../lambdas/services/jobs/query-service.js';
import type { ExecutionRecord } from '../schemas/records.js';
import { aJob } from '../test/integration/store-conformance.js';
import { aFinishedExecution } from '../test/support/history-fixtures.js';
import { fakeBucket } from '../test/support/s3-bucket-mock.js';
import { fakeDeps, silentLogger } from '../test/support/services.js';
import { PRICES } from './pricing.js';

export const NOW = Date.parse('2026-06-01T00:30:00.000Z');
const DAY = 86_400_000;
export const HOT_DAYS = 90;
const YEAR_DAYS = 365;
export const PAGE = 100;
/** Archived days a walk covers beyond the compacted ones: the last removal dates, still in staging. */
const STAGING_DAYS = 3;
/** Glacier IR transition age of a part (lib/constructs/archive.ts `glacierAfterDays`). */
const GLACIER_AFTER_DAYS = 90;

/** A finished run of a job; three attempts = two 503s retried after 1 s and 2 s, then a success. */
export function typicalExecution(jobId: string, scheduledAtMs: number, attempts: 1 | 3 = 1): ExecutionRecord {
  const scheduledAt = new Date(scheduledAtMs).toISOString();
  const at = (offsetMs: number) => new Date(scheduledAtMs + offsetMs).toISOString();
  const attempt = (n: number, start: number, end: number, statusCode: number) => ({
    attempt: n,
    startedAt: at(start),
    finishedAt: at(end),
    status: statusCode === 200 ? ('succeeded' as const) : ('failed' as const),
    statusCode,
    error: statusCode === 200 ? null : `HTTP ${statusCode}`,
    durationMs: end - start,
  });
  const chosen =
    attempts === 1
      ? [attempt(1, 12, 250, 200)]
      : [attempt(1, 12, 250, 503), attempt(2, 1262, 1490, 503), attempt(3, 3502, 3740, 200)];
  const finishedAt = chosen.at(-1)!.finishedAt;
  return aFinishedExecution(jobId, scheduledAt, {
    attempts: chosen,
    finishedAt,
    expiresAt: Math.floor(Date.parse(finishedAt) / 1000) + HOT_DAYS * 86_400,
  });
}

/** DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers ~1 byte per 2 digits). */
export function itemBytes(item: Record<string, unknown>): number {
  const size = (value: unknown): number => {
    if (value === null || typeof value === 'boolean') return 1;
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace('.', '').length / 2) + 1;
    if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + size(v), 0);
    if (typeof value === 'object')
      return 3 + Object.entries(value).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + size(v), 0);
    return 0;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v), 0);
}

/**
 * The byJob index of one job (newest first) as DynamoDB answers a Query: `Limit` items evaluated
 * from the key condition `scheduledAt <= :to` (and `>= :from`), the status filter after, read
 * units = the items' total size rounded up to 4 KB, halved (a GSI read is eventually consistent).
 */
function byJobIndex(newestFirst: ExecutionRecord[]) {
  // Every run has the same size (fixed-width timestamps): measure one.
  const size = newestFirst[0] ? itemBytes(newestFirst[0]) : 0;
  const counters = { queries: 0, itemsRead: 0, rru: 0 };
  const firstAtOrBefore = (to: string) => {
    let low = 0;
    let high = newestFirst.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (newestFirst[mid]!.scheduledAt > to) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  const inRange = (i: number, filter: ExecutionFilter) =>
    i < newestFirst.length && (filter.from === undefined || newestFirst[i]!.scheduledAt >= filter.from);
  async function listByJob(
    _jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionRecord>> {
    counters.queries++;
    let i = cursor !== undefined ? Number(cursor) : filter.to ? firstAtOrBefore(filter.to) : 0;
    const items: ExecutionRecord[] = [];
    let bytes = 0;
    for (let evaluated = 0; evaluated < limit && inRange(i, filter); evaluated++, i++) {
      bytes += size;
      counters.itemsRead++;
      if (!filter.status || newestFirst[i]!.status === filter.status) items.push(newestFirst[i]!);
    }
    counters.rru += Math.max(1, Math.ceil(bytes / 4096)) / 2;
    return { items, nextCursor: inRange(i, filter) ? String(i) : null };
  }
  return { listByJob, counters };
}

export interface Counters {
  queries: number;
  itemsRead: number;
  rru: number;
  s3List: number;
  s3Get: number;
  /** GETs of parts old enough for Glacier IR (priced there when the part is over 128 KB). */
  s3GetGlacierEligible: number;
  /** Bytes those GETs returned (Glacier IR charges retrieval per GB). */
  glacierEligibleBytes: number;
}

/**
 * One job run every `everyMs` for a year up to NOW: its runs of the last 90 days hot, the older ones
 * archived — each TTL removal staged as an object of its own (at scale a job's removals land in
 * different stream batches), the settled removal dates compacted, the newest still in staging.
 * `compactedDays`: how many compacted days to build (default all).
 */
export async function oneJobsYear(everyMs: number, compactedDays = YEAR_DAYS - HOT_DAYS - STAGING_DAYS) {
  const f = fakeDeps(NOW);
  f.deps.settings.hotRetentionSeconds = HOT_DAYS * 86_400;
  const bucket = fakeBucket();
  const counters: Counters = {
    queries: 0,
    itemsRead: 0,
    rru: 0,
    s3List: 0,
    s3Get: 0,
    s3GetGlacierEligible: 0,
    glacierEligibleBytes: 0,
  };
  const glacierBefore = new Date(NOW - GLACIER_AFTER_DAYS * DAY).toISOString().slice(0, 10);
  const send = bucket.client.send.bind(bucket.client);
  const counting = {
    send: async (command: { constructor: { name: string }; input: { Key?: string } }) => {
      const out = (await send(command as never)) as {
        Body?: { transformToByteArray(): Promise<Uint8Array> };
      };
      const key = command.input.Key ?? '';
      if (command.constructor.name === 'ListObjectsV2Command') counters.s3List++;
      if (command.constructor.name === 'GetObjectCommand') {
        counters.s3Get++;
        // A part's name starts with the removal date it was compacted from, about the day it was written.
        if (key.startsWith(PARTS_PREFIX) && (key.split('/').at(-1) ?? '') < glacierBefore) {
          counters.s3GetGlacierEligible++;
          counters.glacierEligibleBytes += (await out.Body!.transformToByteArray()).length;
        }
      }
      return out;
    },
  };
  const store = new S3ArchiveStore(counting as never, 'archive');
  const archive = new ObjectHistoryArchive(store);
  f.deps.archive = archive;
  const job = { ...aJob({ tenant: 'team-a' }), jobId: 'job_01JCOSTWALK000000000000000' };
  f.jobs.items.set(job.jobId, job);

  const newestFirst: ExecutionRecord[] = [];
  const first = NOW - (HOT_DAYS + STAGING_DAYS + compactedDays) * DAY;
  for (let t = Math.floor(NOW / everyMs) * everyMs; t > first; t -= everyMs) {
    newestFirst.push(typicalExecution(job.jobId, t));
  }
  const hot = newestFirst.filter((r) => r.expiresAt! * 1000 > NOW);
  const archived = newestFirst.filter((r) => r.expiresAt! * 1000 <= NOW);
  for (const item of archived) {
    await archive.stage({ removedAt: item.expiresAt! * 1000, rows: [archiveRowOf(item)] });
  }
  await new ArchiveCompactor(store, { clock: { now: () => NOW }, log: silentLogger }).compact();
  const stagedKeys = [...bucket.objects.keys()].filter((k) => k.startsWith(STAGING_PREFIX));
  const index = byJobIndex(hot);
  f.executions.listByJob = index.listByJob;
  const read = (): Counters => ({ ...counters, ...index.counters });
  const reset = () => {
    for (const key of Object.keys(counters) as (keyof Counters)[]) counters[key] = 0;
    Object.assign(index.counters, { queries: 0, itemsRead: 0, rru: 0 });
  };
  return {
    service: new QueryService(f.deps),
    job,
    newestFirst,
    hot,
    archived,
    staged: stagedKeys.length,
    parts: [...bucket.objects.keys()].filter((k) => k.startsWith(INDEX_PREFIX)).length,
    /** The oldest scheduled instant among rows still in staging. */
    oldestStaged: archived[stagedKeys.length - 1]?.scheduledAt,
    read,
    reset,
  };
}

export type JobYear = Awaited<ReturnType<typeof oneJobsYear>>;

/** Every page of a job's history with `filter`, newest first; `afterPage` sees each page's items. */
export async function walk(
  service: QueryService,
  jobId: string,
  filter: ExecutionFilter = {},
  afterPage: (items: ExecutionRecord[]) => void = () => {},
) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await service.listExecutions('team-a', jobId, filter, PAGE, cursor);
    pages++;
    ids.push(...page.items.map((e) => e.executionId));
    afterPage(page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { ids, pages };
}

const usd = (
  c: Pick<Counters, 'rru' | 's3List' | 's3Get' | 's3GetGlacierEligible' | 'glacierEligibleBytes'>,
  glacier: boolean,
) => {
  const standardGets = glacier ? c.s3Get - c.s3GetGlacierEligible : c.s3Get;
  const glacierGets = glacier ? c.s3GetGlacierEligible : 0;
  return Number(
    (
      (c.rru * PRICES.dynamodbPerMillionRru) / 1e6 +
      (c.s3List * PRICES.s3PerThousandLists) / 1000 +
      (standardGets * PRICES.s3PerThousandGets) / 1000 +
      (glacierGets * PRICES.s3GlacierIrPerThousandGets) / 1000 +
      (glacier ? (c.glacierEligibleBytes / 2 ** 30) * PRICES.s3GlacierIrRetrievalPerGb : 0)
    ).toFixed(5),
  );
};

/**
 * Walks the whole history once, newest first, and prices a year of it: the hot pages and the pages
 * of rows still in staging as measured, the compacted pages scaled from `compactedDaysWalked` days
 * to the year's (every compacted day costs the same). Default: the whole year, nothing scaled.
 */
export async function walkYearOfOneJob(options: { everyMs: number; compactedDaysWalked?: number }) {
  const year = await oneJobsYear(options.everyMs, options.compactedDaysWalked);
  year.reset();
  const hotFrom = new Date(NOW - HOT_DAYS * DAY).toISOString();
  const marks: { hot?: Counters & { pages: number }; staged?: Counters & { pages: number } } = {};
  let walked = 0;
  const { ids, pages } = await walk(year.service, year.job.jobId, {}, (items) => {
    walked++;
    const oldest = items.at(-1)?.scheduledAt ?? '';
    if (!marks.hot && oldest < hotFrom) marks.hot = { ...year.read(), pages: walked };
    if (!marks.staged && year.oldestStaged && oldest < year.oldestStaged)
      marks.staged = { ...year.read(), pages: walked };
  });
  if (ids.length !== year.newestFirst.length || ids.some((id, i) => id !== year.newestFirst[i]!.executionId))
    throw new Error('the walk did not list every execution exactly once, newest first');
  const end = { ...year.read(), pages };
  const atStaged = marks.staged ?? marks.hot ?? end;
  const compactedRows = year.archived.length - year.staged;
  const compactedInYear = (YEAR_DAYS * DAY) / options.everyMs - year.hot.length - year.staged;
  const scale = compactedRows > 0 ? compactedInYear / compactedRows : 1;
  const total = (key: keyof Counters | 'pages') =>
    Math.round(atStaged[key] + (end[key] - atStaged[key]) * scale);
  const totals = {
    pages: total('pages'),
    dynamoQueries: total('queries'),
    hotItemsRead: total('itemsRead'),
    rru: total('rru'),
    s3List: total('s3List'),
    s3Get: total('s3Get'),
    s3GetGlacierEligible: total('s3GetGlacierEligible'),
    glacierEligibleBytes: total('glacierEligibleBytes'),
  };
  const hotPages = marks.hot?.pages ?? pages;
  const archivedPages = Math.max(1, totals.pages - hotPages);
  return {
    everyMs: options.everyMs,
    executions: Math.round(year.hot.length + year.staged + compactedRows * scale),
    hot: year.hot.length,
    staged: year.staged,
    compacted: Math.round(compactedRows * scale),
    compactedParts: year.parts,
    ...(scale === 1
      ? {}
      : { measuredCompactedDays: options.compactedDaysWalked, scaledBy: Number(scale.toFixed(2)) }),
    ...totals,
    s3RequestsPerArchivedPage: Number(
      (
        (totals.s3List - (marks.hot?.s3List ?? 0) + totals.s3Get - (marks.hot?.s3Get ?? 0)) /
        archivedPages
      ).toFixed(1),
    ),
    usd: usd(totals, false),
    usdIfPartsInGlacierIr: usd(totals, true),
    usdDynamo: usd(
      { ...totals, s3List: 0, s3Get: 0, s3GetGlacierEligible: 0, glacierEligibleBytes: 0 },
      false,
    ),
  };
}
