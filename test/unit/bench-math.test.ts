import { describe, expect, it } from 'vitest';
import { itemSize, shapeOf, writeCost } from '../../bench/capacity.js';
import { areaOf } from '../../bench/hotspots.js';
import { ASSUMPTIONS, costPerMillion } from '../../bench/pricing.js';
import { countDuplicates, countLost, histogram, percentile, summarize, windows } from '../../bench/stats.js';

// The benchmark's figures are only as good as this arithmetic: percentiles, duplicates/lost, the
// DynamoDB write-unit rules and the price per million.

describe('bench stats', () => {
  it('takes nearest-rank percentiles and summarises', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(summarize([30, 10, 20])).toMatchObject({ count: 3, minMs: 10, p50Ms: 20, maxMs: 30, meanMs: 20 });
  });

  it('counts a second 2xx-answered arrival as a duplicate, a retry after a 5xx not', () => {
    expect(
      countDuplicates([
        { key: 'a', status: 500 },
        { key: 'a', status: 200 },
        { key: 'b', status: 200 },
        { key: 'b', status: 200 },
      ]),
    ).toBe(1);
    expect(countLost(['a', 'b', 'c'], new Set(['a', 'c']))).toBe(1);
  });

  it('bins contiguously and groups points by window', () => {
    expect(histogram([0, 5, 25], 10).map((b) => b.count)).toEqual([2, 0, 1]);
    const w = windows(
      [
        { at: 1000, value: 5 },
        { at: 9000, value: 7 },
        { at: 21_000, value: 1 },
      ],
      10_000,
      0,
    );
    expect(w.map((x) => [x.from, x.count])).toEqual([
      [0, 2],
      [20_000, 1],
    ]);
  });
});

describe('bench write units', () => {
  const indexes = [{ name: 'due', partitionKey: 'dueBucket', sortKey: 'dueKey' }];
  const job = (dueKey?: string, pad = 0) =>
    shapeOf(
      {
        jobId: { S: 'j1' },
        pad: { S: 'x'.repeat(pad) },
        ...(dueKey ? { dueBucket: { S: 'h#1' }, dueKey: { S: dueKey } } : {}),
      },
      indexes,
    );

  it('bills the larger image per started KB and each index the item enters, leaves or moves in', () => {
    expect(itemSize({ ab: { S: 'xyz' } })).toBe(5);
    expect(writeCost(undefined, job('t1'), indexes)).toEqual({ table: 1, indexes: { due: 1 } });
    expect(writeCost(job('t1'), job('t1', 2000), indexes)).toEqual({ table: 2, indexes: { due: 2 } });
    // the index key changes: a delete and a put in the index
    expect(writeCost(job('t1'), job('t2'), indexes)).toEqual({ table: 1, indexes: { due: 2 } });
    // leaves the sparse index
    expect(writeCost(job('t1'), job(), indexes)).toEqual({ table: 1, indexes: { due: 1 } });
    expect(writeCost(job(), job(), indexes)).toEqual({ table: 1, indexes: {} });
  });
});

describe('bench pricing', () => {
  it('prices a million executions from measured usage at list prices', () => {
    const usage = {
      executions: 1000,
      wru: 3000,
      rru: 2000,
      ddbCalls: 5000,
      sqsRequests: 1000,
      messagesPerInvocation: 10,
    };
    const cost = costPerMillion(usage, ASSUMPTIONS);
    expect(cost.dynamodbWrites).toBeCloseTo(1.875, 4); // 3 WRU × $0.625/M
    expect(cost.dynamodbReads).toBeCloseTo(0.25, 4);
    expect(cost.sqs).toBeCloseTo(0.4, 4);
    expect(cost.lambdaRequests).toBeCloseTo(0.02, 4); // $0.20/M invocations over batches of 10
    const parts = Object.entries(cost).filter(([k]) => k !== 'total');
    expect(cost.total).toBeCloseTo(
      parts.reduce((s, [, v]) => s + v, 0),
      3,
    );
    // more WRU per execution costs more
    expect(costPerMillion({ ...usage, wru: 11_000 }).total).toBeGreaterThan(cost.total);
  });

  it('attributes profile samples to packages and source areas', () => {
    expect(areaOf('file:///w/node_modules/@smithy/core/dist/index.js', 'f')).toBe('@smithy/core');
    expect(areaOf('file:///w/node_modules/dynalite/index.js', 'f')).toBe('dynalite');
    expect(areaOf('file:///w/lambdas/services/watch-service.ts', 'f')).toBe('lambdas/services');
    expect(areaOf('', '(garbage collector)')).toBe('(garbage collector)');
  });
});
