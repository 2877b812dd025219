import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { type IndexDef, type Item, shapeOf, writeCost } from '../../bench/capacity.js';
import { executionItemOf, executionOfItem } from '../../lambdas/adapters/dynamo-execution-items.js';
import { dueBucketFor, dueKeyFor, jobItemOf, jobOfItem } from '../../lambdas/adapters/dynamo-job-items.js';
import { TABLES } from '../../lambdas/adapters/dynamo-tables.js';
import { finishedJob } from '../../lambdas/core/lifecycle.js';
import { aJob, anExecution } from '../integration/store-conformance.js';

const T0 = Date.parse('2026-03-08T06:59:30.250Z');

describe('dynamo-job-items', () => {
  it('files a future run under its own hour and a past run under the current hour', () => {
    expect(dueBucketFor(Date.parse('2026-03-08T09:15:00.000Z'), 3, T0)).toBe('2026-03-08T09#3');
    expect(dueBucketFor(Date.parse('2026-03-08T01:00:00.000Z'), 3, T0)).toBe('2026-03-08T06#3');
  });

  it('orders due keys by instant, then job id', () => {
    const a = dueKeyFor('2026-03-08T07:00:00.000Z', 'job_B');
    const b = dueKeyFor('2026-03-08T07:00:00.001Z', 'job_A');
    expect(a < b).toBe(true);
    expect(a < dueKeyFor('2026-03-08T07:00:00.000Z', '~')).toBe(true);
  });

  it('maps a job to its item and back, index keys only on the item', () => {
    const job = { ...aJob({ shard: 2 }), nextRunAt: '2026-03-08T07:00:00.000Z' };
    const item = jobItemOf(job, T0);
    expect(item).toMatchObject({
      dueBucket: '2026-03-08T07#2',
      dueKey: `2026-03-08T07:00:00.000Z#${job.jobId}`,
      createdKey: `${job.createdAt}#${job.jobId}`,
    });
    expect(jobOfItem(item)).toEqual(job);
    const { nextRunAt: _n, ...idle } = job;
    expect(jobItemOf(idle, T0).dueBucket).toBeUndefined();
  });
});

describe('the write units of a job write, with the Jobs table indexes as deployed', () => {
  const J = TABLES.jobs;
  const indexes: IndexDef[] = [
    {
      name: J.dueIndex,
      partitionKey: J.dueIndexPartitionKey,
      sortKey: J.dueIndexSortKey,
      projection: { type: 'INCLUDE', attributes: J.dueIndexAttributes },
    },
    {
      name: J.byTenantIndex,
      partitionKey: J.byTenantPartitionKey,
      sortKey: J.byTenantSortKey,
      projection: { type: 'INCLUDE', attributes: J.byTenantIndexAttributes },
    },
  ];
  const shape = (job: Parameters<typeof jobItemOf>[0]) =>
    shapeOf(marshall(jobItemOf(job, T0), { removeUndefinedValues: true }) as unknown as Item, indexes, {
      partitionKey: J.partitionKey,
    });

  it('a one-time job completing after its run writes its item and no index entry (1 WRU for a job under 1 KB)', () => {
    // as the executor finds it: its only run sent (no next run, so not on `due`), still active
    const running = aJob({
      schedule: { type: 'once', at: '2026-03-08T07:00:00.000Z' },
      enqueuedThrough: '2026-03-08T07:00:00.000Z',
    });
    for (const outcome of ['succeeded', 'failed'] as const) {
      const done = finishedJob(running, outcome, T0 + 1000);
      expect(done.status).toBe(outcome === 'succeeded' ? 'completed' : 'failed');
      expect(writeCost(shape(running), shape(done), indexes)).toEqual({ table: 1, indexes: {} });
    }
  });

  it('an update is billed on the larger image: a job with a 4 KB body costs 4 WRU to complete', () => {
    const big = aJob({
      schedule: { type: 'once', at: '2026-03-08T07:00:00.000Z' },
      target: {
        type: 'http',
        url: 'https://example.com/hook',
        method: 'POST',
        headers: {},
        body: 'x'.repeat(3500),
      },
    });
    expect(writeCost(shape(big), shape(finishedJob(big, 'succeeded', T0)), indexes).table).toBe(4);
  });
});

describe('dynamo-execution-items', () => {
  it('keys a pending execution by shard and instant, a dead one by tenant, and maps back', () => {
    const job = aJob({ tenant: 't1' });
    const queued = anExecution(job, '2026-03-08T07:00:00.000Z', {
      status: 'queued',
      pending: { shard: 4, at: '2026-03-08T07:02:00.000Z' },
    });
    expect(executionItemOf(queued)).toMatchObject({
      pendingShard: '4',
      pendingAt: '2026-03-08T07:02:00.000Z',
    });
    expect(executionOfItem(executionItemOf(queued))).toEqual(queued);
    const dead = anExecution(job, '2026-03-08T07:01:00.000Z', { status: 'dead' });
    expect(executionItemOf(dead)).toMatchObject({ deadTenant: 't1' });
    expect(executionOfItem(executionItemOf(dead))).toEqual(dead);
  });
});
