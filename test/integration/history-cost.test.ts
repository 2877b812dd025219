import { afterAll, describe, expect, it } from 'vitest';
import { archivePass, minuteOfRuns } from '../../bench/archive-cost.js';
import {
  HOT_DAYS,
  itemBytes,
  NOW,
  oneJobsYear,
  typicalExecution,
  walk,
  walkYearOfOneJob,
} from '../../bench/history-year.js';
import { encodePart, encodeRows, toJsonLines } from '../../lambdas/adapters/archive-codec.js';
import { archiveRowOf } from '../../lambdas/services/history/archive-rows.js';

/**
 * The figures docs/history.md quotes, measured on the real archiver, compactor and history reads
 * (bench/archive-cost.ts, bench/history-year.ts): bytes per archived execution, the S3 requests an
 * archive pass makes per execution, and what a one-year history query of one job costs.
 *
 * The every-minute job's compacted days are walked for COMPACTED_DAYS_WALKED days and scaled to the
 * year's (each compacted day costs the same; 3 and 30 days agree within 2%);
 * HISTORY_COST_COMPACTED_DAYS=n walks n days.
 */
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const COMPACTED_DAYS_WALKED = Math.max(1, Number(process.env.HISTORY_COST_COMPACTED_DAYS ?? 3));

const figures: Record<string, unknown> = {};
afterAll(() => {
  process.stdout.write(`history cost figures: ${JSON.stringify(figures, null, 2)}\n`);
});

describe('history cost', () => {
  it('measures bytes per archived execution, with 1 and 3 attempts', () => {
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
      const part = (rows: ReturnType<typeof day>) => encodePart('p', rows).body.length / rows.length;
      bytes[`${attempts}Attempt${attempts > 1 ? 's' : ''}`] = {
        jsonLine: Buffer.byteLength(toJsonLines([row])),
        gzipObjectAlone: encodeRows([row]).length,
        perRowOfADayInAPart_hourly: Math.round(part(day(HOUR))),
        perRowOfADayInAPart_everyMinute: Math.round(part(day(MINUTE))),
        hotItem: itemBytes(item),
      };
    }
    figures.bytesPerArchivedExecution = bytes;
    const one = bytes['1Attempt'] as Record<string, number>;
    expect(one.jsonLine).toBeLessThan(1024);
    // A job's day compresses as one segment: far below a row gzipped alone.
    expect(one.perRowOfADayInAPart_everyMinute).toBeLessThan(one.gzipObjectAlone! / 5);
  });

  it('makes near-zero S3 requests per execution: 10,000 runs of a minute over 2,500 jobs of 25 tenants', async () => {
    const pass = await archivePass(minuteOfRuns({ perMinute: 10_000, minutes: 1, jobs: 2_500, tenants: 25 }));
    figures.archivePass = pass;
    expect(pass.executions).toBe(10_000);
    // The archiver: one staging object per stream batch (4 shards, up to 1,000 records each).
    expect(pass.requests.archiver).toEqual({ puts: 12, gets: 0, lists: 0, deletes: 0 });
    // The compactor: a plan, a part and an index per tenant (one scheduled day), a done marker;
    // each staging object read once; the staging deleted in one request.
    expect(pass.requests.compactor).toEqual({ puts: 1 + 25 + 25 + 1, gets: 12, lists: 2, deletes: 1 });
    // Before: one PutObject per execution, $5.00 per million.
    expect(pass.perExecution.puts).toBeLessThan(0.01);
    expect(pass.usdPerMillion.total).toBeLessThan(0.05);
  });

  it('walks a year of an hourly job, newest first in pages of 100', async () => {
    const year = await walkYearOfOneJob({ everyMs: HOUR });
    figures.yearQuery_hourly = year;
    expect(year.executions).toBe(8_760);
    expect(year.hot).toBe(HOT_DAYS * 24);
    // One LIST of staging and one of the tenant's indexes per archived page; a GET of each day's
    // index and of the job's byte range in it, about four days a page.
    expect(year.s3RequestsPerArchivedPage).toBeLessThan(16);
    expect(year.usd).toBeLessThan(0.002);
  });

  it(`walks a year of an every-minute job (${COMPACTED_DAYS_WALKED} compacted days, scaled)`, async () => {
    const year = await walkYearOfOneJob({ everyMs: MINUTE, compactedDaysWalked: COMPACTED_DAYS_WALKED });
    figures.yearQuery_everyMinute = year;
    expect(year.executions).toBeGreaterThan(525_000);
    expect(year.pages).toBeGreaterThan(5_200);
    // A compacted page: the job's day is one byte range, read with its index.
    expect(year.s3RequestsPerArchivedPage).toBeLessThan(10);
    expect(year.usd).toBeLessThan(0.12);
  });

  it('finds one archived execution by id: one LIST, its index and its byte range once compacted', async () => {
    const byId: Record<string, unknown> = {};
    for (const [name, everyMs] of [
      ['hourly', HOUR],
      ['everyMinute', MINUTE],
    ] as const) {
      const s = await oneJobsYear(everyMs, 2);
      const compacted = s.archived.at(-Math.floor(DAY / everyMs))!;
      const staged = s.archived[0]!;
      for (const [where, target] of [
        ['compacted', compacted],
        ['staged', staged],
      ] as const) {
        s.reset();
        expect((await s.service.getExecution('team-a', target.executionId)).executionId).toBe(
          target.executionId,
        );
        byId[`${name}_${where}`] = { dynamoGets: 1, s3List: s.read().s3List, s3Get: s.read().s3Get };
      }
      expect(byId[`${name}_compacted`]).toMatchObject({ s3List: 1, s3Get: 2 });
    }
    figures.getArchivedExecution = byId;
  });

  it('reads only the days of a week when asked for a week of failures', async () => {
    const s = await oneJobsYear(HOUR);
    s.reset();
    const from = new Date(NOW - 200 * DAY).toISOString();
    const to = new Date(NOW - 193 * DAY).toISOString();
    const { ids } = await walk(s.service, s.job.jobId, { status: 'failed', from, to });
    expect(ids).toEqual([]);
    const c = s.read();
    figures.weekOfFailures_hourly = { s3List: c.s3List, s3Get: c.s3Get, dynamoQueries: c.queries };
    // Eight days' indexes and ranges (the week's ends fall mid-day), nothing else.
    expect(c.s3Get).toBeLessThanOrEqual(2 * 8);
  });
});
