import { afterAll, describe, expect, it } from 'vitest';
import { encodeArchiveObject } from '../../lambdas/adapters/archive-codec.js';
import { S3HistoryArchive } from '../../lambdas/adapters/s3-history-archive.js';
import { archiveDateOf, batchObjectKey, partitionOf, toJsonLines } from '../../lambdas/core/history.js';
import type { ExecutionFilter, Page } from '../../lambdas/core/ports.js';
import { ArchiveService, archiveRowOf } from '../../lambdas/services/archive-service.js';
import { silentLogger } from '../../lambdas/services/deps.js';
import { JobsService } from '../../lambdas/services/jobs-service.js';
import type { ArchiveRow } from '../../schemas/archive.js';
import type { ExecutionItem } from '../../schemas/stored.js';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { fakeBucket } from '../support/s3-bucket-mock.js';
import { fakeDeps } from '../support/services.js';
import { ttlRemoval } from '../support/stream-records.js';
import { aJob } from './store-conformance.js';

/**
 * The figures docs/history.md quotes: rows and bytes per archived execution, the PUTs the archiver
 * makes, and what a one-year history query of one job costs (pages of 100, newest first), counted
 * on the real S3 adapter (its client answered by an in-memory bucket that counts requests) and on
 * a byJob index stand-in that counts the items each Query reads and the read units they cost.
 *
 * The every-minute job's archived part is walked for COLD_DAYS_WALKED days and scaled to the year's
 * 275 (every archived day costs the same, so the scaled figures match a full walk within page-edge
 * rounding: 3 and 30 days agree within 2%); HISTORY_COST_ARCHIVED_DAYS=n walks n days
 * (each day of one object per run costs ~20 MB of test memory).
 */
const NOW = Date.parse('2026-06-01T00:30:00.000Z');
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const HOT_DAYS = 90;
const YEAR_DAYS = 365;
const COLD_DAYS = YEAR_DAYS - HOT_DAYS;
const COLD_DAYS_WALKED = Math.min(
  COLD_DAYS,
  Math.max(1, Number(process.env.HISTORY_COST_ARCHIVED_DAYS ?? 3)),
);
const PAGE = 100;
/** AWS list prices, us-east-1 (as bench/pricing.ts): on-demand read request units, S3 Standard requests. */
const PRICE = { perMillionRru: 0.125, perThousandGet: 0.0004, perThousandList: 0.005, perThousandPut: 0.005 };

const figures: Record<string, unknown> = {};
afterAll(() => {
  process.stdout.write(`history cost figures: ${JSON.stringify(figures, null, 2)}\n`);
});

/** A finished run of a job; three attempts = two 503s retried after 1 s and 2 s, then a success. */
function typicalExecution(jobId: string, scheduledAtMs: number, attempts: 1 | 3 = 1): ExecutionItem {
  const scheduledAt = new Date(scheduledAtMs).toISOString();
  const at = (offsetMs: number) => new Date(scheduledAtMs + offsetMs).toISOString();
  const tries = [
    {
      attempt: 1,
      startedAt: at(12),
      finishedAt: at(250),
      status: 'failed' as const,
      statusCode: 503,
      error: 'HTTP 503',
      durationMs: 238,
    },
    {
      attempt: 2,
      startedAt: at(1262),
      finishedAt: at(1490),
      status: 'failed' as const,
      statusCode: 503,
      error: 'HTTP 503',
      durationMs: 228,
    },
    {
      attempt: 3,
      startedAt: at(3502),
      finishedAt: at(3740),
      status: 'succeeded' as const,
      statusCode: 200,
      error: null,
      durationMs: 238,
    },
  ];
  const chosen =
    attempts === 1 ? [{ ...tries[2]!, attempt: 1, startedAt: at(12), finishedAt: at(250) }] : tries;
  const finishedAt = chosen.at(-1)!.finishedAt;
  return aFinishedExecution(jobId, scheduledAt, {
    attempts: chosen,
    finishedAt,
    expiresAt: Math.floor(Date.parse(finishedAt) / 1000) + HOT_DAYS * 86_400,
  });
}

/** DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers ~1 byte per 2 digits). */
function itemBytes(item: Record<string, unknown>): number {
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
function byJobIndex(newestFirst: ExecutionItem[]) {
  // Every run of the fixture has the same size (fixed-width timestamps): measure one.
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
  ): Promise<Page<ExecutionItem>> {
    counters.queries++;
    let i = cursor !== undefined ? Number(cursor) : filter.to ? firstAtOrBefore(filter.to) : 0;
    const items: ExecutionItem[] = [];
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

type Layout = 'objectPerRun' | 'objectPerDay';

/** One job's year (or its hot 90 days and `coldDays` before them), split as TTL leaves it and archived in `layout`. */
const setups = new Map<string, ReturnType<typeof build>>();
const runsOf = new Map<string, ExecutionItem[]>();

/** Built once per arguments (a minute job's 90 hot days are 129,600 runs), counters reset on every call. */
function setup(everyMs: number, layout: Layout, coldDays: number, withHot = true) {
  const key = `${everyMs}/${layout}/${coldDays}/${withHot}`;
  const s = setups.get(key) ?? build(everyMs, layout, coldDays, withHot);
  setups.set(key, s);
  s.reset();
  return s;
}

/** The runs of one job, newest first (shared by both layouts: the items are only read). */
function runs(jobId: string, everyMs: number, coldDays: number, withHot: boolean): ExecutionItem[] {
  const key = `${jobId}/${everyMs}/${coldDays}/${withHot}`;
  const cached = runsOf.get(key);
  if (cached) return cached;
  const newestFirst: ExecutionItem[] = [];
  const first = Math.ceil((NOW - (HOT_DAYS + coldDays) * DAY) / everyMs) * everyMs;
  const hotFrom = NOW - HOT_DAYS * DAY;
  for (let t = Math.floor((withHot ? NOW : hotFrom) / everyMs) * everyMs; t >= first; t -= everyMs) {
    newestFirst.push(typicalExecution(jobId, t));
  }
  runsOf.set(key, newestFirst);
  return newestFirst;
}

function build(everyMs: number, layout: Layout, coldDays: number, withHot: boolean) {
  const f = fakeDeps(NOW);
  f.deps.settings.hotRetentionSeconds = HOT_DAYS * 86_400;
  const bucket = fakeBucket();
  f.deps.archive = new S3HistoryArchive(bucket.client, 'archive');
  const job = { ...aJob({ tenant: 'team-a' }), jobId: 'job_01JCOSTWALK000000000000000' };
  f.jobs.items.set(job.jobId, job);
  const newestFirst = runs(job.jobId, everyMs, coldDays, withHot);
  const hot = newestFirst.filter((r) => r.expiresAt! * 1000 > NOW);
  const cold = newestFirst.filter((r) => r.expiresAt! * 1000 <= NOW);
  const groups = new Map<string, ArchiveRow[]>();
  for (const [i, item] of cold.entries()) {
    const row = archiveRowOf(item);
    const group = layout === 'objectPerRun' ? String(i) : archiveDateOf(row.scheduledAt);
    const rows = groups.get(group) ?? [];
    rows.push(row);
    groups.set(group, rows);
  }
  let sequence = 1e12;
  for (const rows of groups.values()) {
    bucket.objects.set(
      batchObjectKey(partitionOf(rows[0]!), String(sequence++), rows),
      encodeArchiveObject(rows),
    );
  }
  const index = byJobIndex(hot);
  f.executions.listByJob = index.listByJob;
  const read = () => ({
    ...index.counters,
    s3List: bucket.calls.ListObjectsV2Command ?? 0,
    s3Get: bucket.calls.GetObjectCommand ?? 0,
  });
  const reset = () => {
    Object.assign(index.counters, { queries: 0, itemsRead: 0, rru: 0 });
    for (const name of Object.keys(bucket.calls)) delete bucket.calls[name];
  };
  return { service: new JobsService(f.deps), job, newestFirst, hot, cold, objects: groups.size, read, reset };
}

async function walk(
  service: JobsService,
  jobId: string,
  filter: ExecutionFilter = {},
  afterPage: (items: ExecutionItem[]) => void = () => {},
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

const usd = (c: { rru: number; s3List: number; s3Get: number }) =>
  Number(
    (
      (c.rru * PRICE.perMillionRru) / 1e6 +
      (c.s3List * PRICE.perThousandList) / 1000 +
      (c.s3Get * PRICE.perThousandGet) / 1000
    ).toFixed(5),
  );

describe('history cost', () => {
  it('measures rows and bytes per archived execution, with 1 and 3 attempts', () => {
    const jobId = 'job_01JCOST000000000000000000';
    const start = Date.parse('2026-03-08T00:00:00.000Z');
    const bytes: Record<string, unknown> = {};
    for (const attempts of [1, 3] as const) {
      const item = typicalExecution(jobId, start, attempts);
      const row = archiveRowOf(item);
      const day = (everyMs: number) =>
        Array.from({ length: DAY / everyMs }, (_, i) =>
          archiveRowOf(typicalExecution(jobId, start + i * everyMs, attempts)),
        );
      bytes[`${attempts}Attempt${attempts > 1 ? 's' : ''}`] = {
        jsonLine: Buffer.byteLength(toJsonLines([row])),
        gzipObjectAlone: encodeArchiveObject([row]).length,
        gzipPerRowInADayOfHourlyRuns: Math.round(encodeArchiveObject(day(HOUR)).length / 24),
        gzipPerRowInADayOfMinuteRuns: Math.round(encodeArchiveObject(day(MINUTE)).length / 1440),
        hotItem: itemBytes(item),
      };
      expect(encodeArchiveObject([row]).length).toBeLessThan(Buffer.byteLength(toJsonLines([row])));
    }
    figures.rowsPerArchivedExecution =
      '1 (2 only for the records of a partially failed batch that Lambda retries)';
    figures.bytesPerArchivedExecution = bytes;
    const one = bytes['1Attempt'] as { jsonLine: number };
    const three = bytes['3Attempts'] as { jsonLine: number };
    expect(one.jsonLine).toBeLessThan(1024);
    expect(three.jsonLine).toBeGreaterThan(one.jsonLine + 2 * 100);
  });

  it('counts the PUTs the archiver makes per execution', async () => {
    // Two whole days of an hourly job: a batch of a day's removals is one date partition.
    const start = Date.parse('2026-03-08T00:00:00.000Z');
    const runs = Array.from({ length: 48 }, (_, i) =>
      typicalExecution('job_01JCOSTPUTS00000000000000', start + i * HOUR),
    );
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

  const scenarios = [
    { name: 'hourly', everyMs: HOUR, layout: 'objectPerRun', coldDays: COLD_DAYS },
    { name: 'hourly', everyMs: HOUR, layout: 'objectPerDay', coldDays: COLD_DAYS },
    { name: 'everyMinute', everyMs: MINUTE, layout: 'objectPerRun', coldDays: COLD_DAYS_WALKED },
    { name: 'everyMinute', everyMs: MINUTE, layout: 'objectPerDay', coldDays: COLD_DAYS_WALKED },
  ] as const;
  for (const scenario of scenarios) {
    it(`walks a year of a job run ${scenario.name}, newest first in pages of ${PAGE} (${scenario.layout})`, async () => {
      const s = setup(scenario.everyMs, scenario.layout, scenario.coldDays);
      // Act
      // The counters once the walk has left the hot window: what follows is the archived part, scaled.
      const hotFrom = new Date(NOW - HOT_DAYS * DAY).toISOString();
      let atBoundary: (ReturnType<typeof s.read> & { pages: number }) | undefined;
      let walked = 0;
      const { ids, pages } = await walk(s.service, s.job.jobId, {}, (items) => {
        walked++;
        if (!atBoundary && (items.at(-1)?.scheduledAt ?? '') < hotFrom)
          atBoundary = { ...s.read(), pages: walked };
      });
      const c = s.read();

      // Assess: every execution once, newest first, across the hot/cold boundary.
      expect(ids).toEqual(s.newestFirst.map((r) => r.executionId));
      const hot = atBoundary!;
      const coldPages = pages - hot.pages;
      // Each archived object is read about once: a page edge reads one twice, and the hot pages of the
      // last hour before the cold horizon look into the archive (and find nothing newer).
      expect(c.s3Get).toBeLessThanOrEqual(s.objects + 2 * pages + 2 * PAGE);
      expect(c.s3List).toBeLessThanOrEqual(8 * pages);
      // Each archived execution costs the same: scale the walked ones to the year's.
      const scale = ((YEAR_DAYS * DAY) / scenario.everyMs - s.hot.length) / s.cold.length;
      const year = (measured: number, atHot: number) => Math.round(atHot + (measured - atHot) * scale);
      const totals = {
        pages: year(pages, hot.pages),
        dynamoQueries: year(c.queries, hot.queries),
        hotItemsRead: year(c.itemsRead, hot.itemsRead),
        rru: year(c.rru, hot.rru),
        s3List: year(c.s3List, hot.s3List),
        s3Get: year(c.s3Get, hot.s3Get),
      };
      figures[`yearQuery_${scenario.name}_${scenario.layout}`] = {
        executions: Math.round(s.hot.length + s.cold.length * scale),
        hot: s.hot.length,
        archived: Math.round(s.cold.length * scale),
        ...(scale === 1
          ? { archiveObjects: s.objects }
          : { measuredArchivedDays: scenario.coldDays, scaledBy: Number(scale.toFixed(2)) }),
        ...totals,
        s3RequestsPerArchivedPage: Number(
          ((c.s3List - hot.s3List + c.s3Get - hot.s3Get) / coldPages).toFixed(1),
        ),
        usd: usd(totals),
        usdDynamo: usd({ ...totals, s3List: 0, s3Get: 0 }),
      };
    });
  }

  it('finds one archived execution by id with one LIST and one GET', async () => {
    const figuresById: Record<string, unknown> = {};
    for (const [name, everyMs, layout] of [
      ['hourly_objectPerRun', HOUR, 'objectPerRun'],
      ['everyMinute_objectPerRun', MINUTE, 'objectPerRun'],
      ['everyMinute_objectPerDay', MINUTE, 'objectPerDay'],
    ] as const) {
      const s = setup(everyMs, layout, 2, false);
      s.reset();
      const target = s.cold[Math.floor(s.cold.length / 2)]!;
      expect((await s.service.getExecution('team-a', target.executionId)).executionId).toBe(
        target.executionId,
      );
      const c = s.read();
      figuresById[name] = { dynamoGets: 1, s3List: c.s3List, s3Get: c.s3Get };
      expect(c.s3Get).toBe(1);
      // A date of a job run every minute holds 1,440 objects: two LIST pages.
      expect(c.s3List).toBe(layout === 'objectPerRun' && everyMs === MINUTE ? 2 : 1);
    }
    figures.getArchivedExecution = figuresById;
  });

  it('reads only the partitions of a week when asked for a week of failures', async () => {
    const s = setup(HOUR, 'objectPerRun', COLD_DAYS);
    s.reset();
    const from = new Date(NOW - 200 * DAY).toISOString();
    const to = new Date(NOW - 193 * DAY).toISOString();
    const { ids } = await walk(s.service, s.job.jobId, { status: 'failed', from, to });
    expect(ids).toEqual([]);
    const c = s.read();
    figures.weekOfFailures_hourly = { s3List: c.s3List, s3Get: c.s3Get, dynamoQueries: c.queries };
    expect(c.s3Get).toBeLessThanOrEqual(8 * 24);
  });
});
