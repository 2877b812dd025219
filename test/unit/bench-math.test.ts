import { describe, expect, it } from 'vitest';
import { type IndexDef, itemSize, shapeOf, writeCost } from '../../bench/capacity.js';
import { areaOf } from '../../bench/hotspots.js';
import {
  ASSUMPTIONS,
  costPerMillion,
  hotStorageOfCopies,
  hotStoragePerMillion,
  provisionedCostPerMillion,
} from '../../bench/pricing.js';
import { duplicateKinds, recoveryDone } from '../../bench/restart.js';
import { spreadCron, spreadRuns } from '../../bench/spread-crons.js';
import { countDuplicates, countLost, histogram, percentile, summarize, windows } from '../../bench/stats.js';
import { requestsPerRun, unitsByTarget } from '../../bench/usage.js';

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

describe('bench spread crons', () => {
  it('gives job i the seconds ≡ i (mod period) and lists its runs in a window', () => {
    expect(spreadCron(7, 60)).toBe('7 * * * * *');
    expect(spreadCron(7, 15)).toBe('7/15 * * * * *');
    expect(() => spreadCron(1, 7)).toThrow(/divides 60/);
    const from = Date.parse('2026-01-01T00:00:10.000Z');
    expect(spreadRuns('j', 7, 15, from, from + 60_000)).toEqual([
      'j:2026-01-01T00:00:22.000Z',
      'j:2026-01-01T00:00:37.000Z',
      'j:2026-01-01T00:00:52.000Z',
      'j:2026-01-01T00:01:07.000Z',
    ]);
    // a run exactly at `from` counts, one at `to` does not
    expect(spreadRuns('j', 10, 60, from, from + 60_000)).toEqual(['j:2026-01-01T00:00:10.000Z']);
  });
});

describe('bench restart', () => {
  it('reads the end of recovery only from the runtime’s own word on /healthz', () => {
    expect(recoveryDone({ status: 'ok' })).toBe(false);
    expect(recoveryDone({ status: 'ok', recovery: { state: 'running' } })).toBe(false);
    expect(recoveryDone({ status: 'ok', recovery: { state: 'done' } })).toBe(true);
    expect(recoveryDone({ status: 'ok', recovery: { finishedAt: '2026-01-01T00:00:00Z' } })).toBe(true);
  });

  /** A call the sink saw `ms` into the bench. */
  const at = (key: string, ms: number, status = 200, attempt = 1) => ({
    at: ms,
    path: '/r',
    key,
    scheduledAt: 0,
    attempt,
    status,
  });

  it('tells a call in flight at the kill made again after it from other duplicates', () => {
    const kinds = duplicateKinds(
      [
        at('a', 90),
        at('b', 95, 500),
        at('b', 96),
        at('c', 97),
        at('d', 100),
        at('a', 120),
        at('c', 98),
        at('d', 160),
      ],
      100,
    );
    // `d` reached the sink in the kill's own millisecond: in flight at the kill too.
    expect(kinds).toMatchObject({ total: 3, inFlightAtKill: 2, other: 1 });
    expect(kinds.samples.map((s) => [s.kind, s.key, s.msFromKill])).toEqual([
      ['inFlightAtKill', 'a', [-10, 20]],
      ['other', 'c', [-3, -2]],
      ['inFlightAtKill', 'd', [0, 60]],
    ]);
  });

  it('counts a call the sink handled after the SIGKILL but before the exit was seen as in flight at the kill', () => {
    // `e` reached the sink 1 ms after the kill call, the exit was seen at 103: it was on the wire.
    const arrivals = [at('e', 101), at('f', 104), at('e', 160, 200, 2), at('f', 170, 200, 2)];
    expect(duplicateKinds(arrivals, 100)).toMatchObject({ inFlightAtKill: 0, other: 2 });
    expect(duplicateKinds(arrivals, 100, 103)).toMatchObject({ inFlightAtKill: 1, other: 1 });
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

describe('bench write units with projections', () => {
  const key = { partitionKey: 'jobId' };
  const index = (projection: IndexDef['projection']): IndexDef[] => [
    { name: 'due', partitionKey: 'dueBucket', sortKey: 'dueKey', projection },
  ];
  const job = (indexes: IndexDef[], dueKey: string, next: string, body = 'x'.repeat(1500)) =>
    shapeOf(
      {
        jobId: { S: 'j1' },
        dueBucket: { S: 'b' },
        dueKey: { S: dueKey },
        next: { S: next },
        body: { S: body },
      },
      indexes,
      key,
    );

  it('bills an index per started KB of its entry, not of the item', () => {
    const keysOnly = index({ type: 'KEYS_ONLY' });
    // a 1.5 KB item: 2 units in the table, 1 in a KEYS_ONLY index (the keys are a few bytes)
    expect(writeCost(undefined, job(keysOnly, 'k1', 'n1'), keysOnly)).toEqual({
      table: 2,
      indexes: { due: 1 },
    });
    expect(writeCost(undefined, job(index(undefined), 'k1', 'n1'), index(undefined))).toEqual({
      table: 2,
      indexes: { due: 2 },
    });
  });

  it('writes no index an update leaves unchanged, and one that holds a changed attribute', () => {
    const keysOnly = index({ type: 'KEYS_ONLY' });
    const include = index({ type: 'INCLUDE', attributes: ['next'] });
    const all = index({ type: 'ALL' });
    // `next` changes, keys stay
    expect(writeCost(job(keysOnly, 'k1', 'n1'), job(keysOnly, 'k1', 'n2'), keysOnly).indexes).toEqual({});
    expect(writeCost(job(include, 'k1', 'n1'), job(include, 'k1', 'n2'), include).indexes).toEqual({
      due: 1,
    });
    expect(writeCost(job(all, 'k1', 'n1'), job(all, 'k1', 'n2'), all).indexes).toEqual({ due: 2 });
    // only the body changes: the INCLUDE index does not hold it
    expect(writeCost(job(include, 'k1', 'n1'), job(include, 'k1', 'n1', 'y'), include).indexes).toEqual({});
    // the same image written again costs the table only
    expect(writeCost(job(all, 'k1', 'n1'), job(all, 'k1', 'n1'), all)).toEqual({ table: 2, indexes: {} });
    // the key moves: a delete and a put of the entry, whatever the projection
    expect(writeCost(job(keysOnly, 'k1', 'n1'), job(keysOnly, 'k2', 'n1'), keysOnly).indexes).toEqual({
      due: 2,
    });
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

  it('prices the executor’s compute from the measured residual wait, the assumed 500 ms only when none was measured', () => {
    const usage = {
      executions: 1000,
      wru: 2000,
      rru: 1000,
      ddbCalls: 2500,
      sqsRequests: 300,
      messagesPerInvocation: 5,
    };
    // 256 MB arm64: (wait + 2.5 calls × 8 ms + 100 ms target) × 0.25 GB ÷ 5 messages an invocation
    const compute = (waitMs: number) => ((((waitMs + 20 + 100) / 1000) * 0.25) / 5) * 0.0000133334 * 1e6;
    expect(costPerMillion(usage).lambdaCompute).toBeCloseTo(compute(500), 4);
    expect(costPerMillion({ ...usage, residualWaitMs: 80 }).lambdaCompute).toBeCloseTo(compute(80), 4);
    expect(costPerMillion({ ...usage, residualWaitMs: 0 }).lambdaCompute).toBeCloseTo(compute(0), 4);
  });

  it('attributes profile samples to packages and source areas', () => {
    expect(areaOf('file:///w/node_modules/@smithy/core/dist/index.js', 'f')).toBe('@smithy/core');
    expect(areaOf('file:///w/node_modules/dynalite/index.js', 'f')).toBe('dynalite');
    expect(areaOf('file:///w/lambdas/services/watch-service.ts', 'f')).toBe('lambdas/services');
    expect(areaOf('', '(garbage collector)')).toBe('(garbage collector)');
  });

  it('prices hot storage from the copies an execution leaves in the table and its indexes', () => {
    // the old rule (item + one ALL index) is two full copies
    expect(hotStoragePerMillion(600, 1)).toBe(
      hotStorageOfCopies([
        { bytes: 600, share: 1 },
        { bytes: 600, share: 1 },
      ]),
    );
    // a KEYS_ONLY index of 80-byte entries holding a tenth of the executions costs far less than a full copy
    const lean = hotStorageOfCopies([
      { bytes: 600, share: 1 },
      { bytes: 80, share: 0.1 },
    ]);
    expect(lean).toBeLessThan(hotStoragePerMillion(600, 1) * 0.6);
    expect(lean).toBeCloseTo(((700 + 18) * 1e6 * 3 * 0.25) / 2 ** 30, 3);
  });

  it('sizes provisioned capacity per table and index for the steady rate at 70 % and prices it per million runs', () => {
    const counts = {
      'ddb.wru.table.jobs': 100,
      'ddb.wru.index.jobs/due': 50,
      'ddb.wru.conditionFailed.jobs': 10,
      'ddb.rru.jobs': 40,
      'ddb.call.GetItem': 40,
      'ddb.call.PutItem': 60,
    };
    const perRun = unitsByTarget(counts, 100);
    expect(perRun).toEqual({ wru: { jobs: 1.1, 'jobs/due': 0.5 }, rru: { jobs: 0.4 } });
    const onDemand = costPerMillion({
      executions: 100,
      wru: 160,
      rru: 40,
      ddbCalls: 100,
      sqsRequests: 100,
      messagesPerInvocation: 10,
    });
    // 1,000 runs/s: jobs 1,100 WRU/s ÷ 0.7 → 1,572 WCU; due 500 → 715; reads 400 → 572 RCU; due reads → 1 (minimum)
    const p = provisionedCostPerMillion(perRun, 1000, onDemand);
    expect(p.capacity.jobs).toEqual({ wruPerRun: 1.1, rruPerRun: 0.4, wcu: 1572, rcu: 572 });
    expect(p.capacity['jobs/due']).toEqual({ wruPerRun: 0.5, rruPerRun: 0, wcu: 715, rcu: 1 });
    const perHour = (1572 + 715) * 0.00065 + (572 + 1) * 0.00013;
    expect(p.usdPerHour).toBeCloseTo(perHour, 4);
    expect(p.dynamodbWrites).toBeCloseTo((((1572 + 715) * 0.00065) / 3.6e6) * 1e6, 4);
    expect(p.total).toBeCloseTo(
      onDemand.total - onDemand.dynamodbWrites - onDemand.dynamodbReads + p.dynamodbWrites + p.dynamodbReads,
      3,
    );
    // at a steady load provisioned capacity is cheaper than paying per request
    expect(p.total).toBeLessThan(onDemand.total);
    // a trickle still pays one unit per table and index: dearer per run than on demand
    expect(provisionedCostPerMillion(perRun, 0.01, onDemand).total).toBeGreaterThan(onDemand.total);
    expect(requestsPerRun({ total: 1, GetItem: 0.4, PutItem: 0.6 })).toEqual({
      total: 1,
      byOperation: { GetItem: 0.4, PutItem: 0.6 },
    });
  });
});
