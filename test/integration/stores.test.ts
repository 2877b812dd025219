import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDependencyEdges } from '../../lambdas/adapters/dynamo-dependency-edges.js';
import { DynamoDependencyRounds } from '../../lambdas/adapters/dynamo-dependency-rounds.js';
import { DynamoDueIndex } from '../../lambdas/adapters/dynamo-due-index.js';
import { DynamoExecutionStore } from '../../lambdas/adapters/dynamo-execution-store.js';
import { DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.js';
import { DynamoWatermarks } from '../../lambdas/adapters/dynamo-watermarks.js';
import { InvalidCursor } from '../../lambdas/core/errors.js';
import { withNextRun } from '../../lambdas/core/job-schedule.js';
import { dynaliteTables } from '../support/dynalite.js';
import { MemoryExecutionStore, MemoryJobStore } from '../support/memory.js';
import { aJob, anExecution, type Stores, storeConformance } from './store-conformance.js';

const dynamo = dynaliteTables();

function dynamoStores(): Stores {
  const { client } = dynamo;
  return {
    jobs: new DynamoJobStore(client, 'jobs'),
    dueIndex: new DynamoDueIndex(client, 'jobs'),
    watermarks: new DynamoWatermarks(client, 'jobs'),
    dependencyEdges: new DynamoDependencyEdges(client, 'jobs'),
    dependencyRounds: new DynamoDependencyRounds(client, 'jobs'),
    executions: new DynamoExecutionStore(client, 'executions'),
  };
}

storeConformance('DynamoDB (dynalite)', dynamoStores);

storeConformance('in-memory', () => {
  const jobs = new MemoryJobStore();
  return {
    jobs,
    dueIndex: jobs,
    watermarks: jobs,
    dependencyEdges: jobs,
    dependencyRounds: jobs,
    executions: new MemoryExecutionStore(),
  };
});

describe('DynamoDB adapters: the item layout they alone know', () => {
  const NOW = Date.parse('2026-05-01T12:00:00.000Z');
  const raw = async (table: string, key: Record<string, string>) =>
    (await dynamo.client.send(new GetCommand({ TableName: table, Key: key }))).Item;

  it('files a job on the due index by hour and shard, sorted by its next run, and lists it by creation', async () => {
    const { jobs, dueIndex } = dynamoStores();
    const job = withNextRun(aJob({ shard: 3 }), NOW + 60_000);
    await jobs.createJob(job, NOW);
    expect(await raw('jobs', { jobId: job.jobId })).toMatchObject({
      dueBucket: '2026-05-01T12#3',
      dueKey: `2026-05-01T12:01:00.000Z#${job.jobId}`,
      createdKey: `${job.createdAt}#${job.jobId}`,
    });
    await dueIndex.advanceJob(job, {
      expectedNextRunAt: job.nextRunAt!,
      expectedVersion: 1,
      nextRunAt: NOW + 3_600_000,
      enqueuedThrough: null,
      now: NOW,
    });
    expect(await raw('jobs', { jobId: job.jobId })).toMatchObject({
      dueBucket: '2026-05-01T13#3',
      dueKey: `2026-05-01T13:00:00.000Z#${job.jobId}`,
    });
    await dueIndex.advanceJob(job, {
      expectedNextRunAt: '2026-05-01T13:00:00.000Z',
      expectedVersion: 1,
      nextRunAt: null,
      enqueuedThrough: null,
      status: 'completed',
      now: NOW,
    });
    const done = await raw('jobs', { jobId: job.jobId });
    expect(done?.dueBucket).toBeUndefined();
    expect(done?.dueKey).toBeUndefined();
  });

  it("projects only what the indexes' readers use: the watcher plans from `due`, the list filters names on `byTenant` and reads the jobs by key", async () => {
    const { jobs, dueIndex } = dynamoStores();
    const body = 'x'.repeat(20_000);
    const job = withNextRun(
      aJob({
        shard: 2,
        tenant: 'team-projections',
        name: 'big',
        planRev: 4,
        target: { type: 'http', url: 'https://example.com/hook', method: 'POST', headers: { a: 'b' }, body },
      }),
      NOW + 60_000,
    );
    await jobs.createJob(job, NOW);
    const query = (index: string, key: string, value: string) =>
      dynamo.client.send(
        new QueryCommand({
          TableName: 'jobs',
          IndexName: index,
          KeyConditionExpression: '#k = :v',
          ExpressionAttributeNames: { '#k': key },
          ExpressionAttributeValues: { ':v': value },
        }),
      );
    const [dueEntry] = (await query('due', 'dueBucket', '2026-05-01T12#2')).Items ?? [];
    expect(dueEntry?.target).toBeUndefined();
    expect(dueEntry?.createdAt).toBeUndefined();
    const [tenantEntry] = (await query('byTenant', 'tenant', 'team-projections')).Items ?? [];
    // not the status: a completion (or pause, resume, cancel) writes no byTenant entry
    expect(Object.keys(tenantEntry ?? {}).sort()).toEqual(['createdKey', 'jobId', 'name', 'tenant']);

    const due = [];
    for await (const page of dueIndex.dueJobs(2, '2026-05-01T12', NOW + 120_000)) due.push(...page.jobs);
    expect(due).toEqual([
      {
        jobId: job.jobId,
        tenant: 'team-projections',
        shard: 2,
        status: 'active',
        version: 1,
        planRev: 4,
        priority: 'normal',
        schedule: job.schedule,
        misfire: 'run_once',
        misfireGraceSeconds: 60,
        nextRunAt: '2026-05-01T12:01:00.000Z',
      },
    ]);
    // The list answers the whole job, read by key.
    expect((await jobs.listJobs('team-projections', { status: 'active' }, 10)).items).toEqual([job]);
  });

  it('puts a pending execution on its shard’s pending index and a dead one on its tenant’s dead index', async () => {
    const { executions } = dynamoStores();
    const job = aJob();
    const pending = anExecution(job, '2026-05-01T12:00:00.000Z', {
      status: 'queued',
      pending: { shard: 5, at: '2026-05-01T12:02:00.000Z' },
    });
    await executions.createExecution(pending);
    expect(await raw('executions', { jobId: job.jobId, scheduledAt: pending.scheduledAt })).toMatchObject({
      pendingShard: '5',
      pendingAt: '2026-05-01T12:02:00.000Z',
    });
    const dead = anExecution(job, '2026-05-01T12:01:00.000Z', {
      status: 'dead',
      finishedAt: '2026-05-01T12:01:05.000Z',
    });
    await executions.createExecution(dead);
    const item = await raw('executions', { jobId: job.jobId, scheduledAt: dead.scheduledAt });
    expect(item).toMatchObject({ deadTenant: job.tenant });
    expect(item?.pendingShard).toBeUndefined();
    expect(await executions.getExecution(dead.executionId)).toEqual(dead);
  });
});

describe('DynamoDB adapters: forged cursors', () => {
  const jobs = () => new DynamoJobStore(dynamo.client, 'jobs');
  const executions = () => new DynamoExecutionStore(dynamo.client, 'executions');
  const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  const encode = (key: unknown) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

  /** Two pages of jobs and of dead letters for one tenant: real cursors to forge from. */
  async function realCursors() {
    const tenant = `forger-${Date.now()}-${Math.random()}`;
    for (let i = 0; i < 3; i++) {
      const job = aJob({ tenant });
      await jobs().createJob(job, Date.now());
      await executions().createExecution(
        anExecution(job, `2026-05-01T12:0${i}:00.000Z`, {
          status: 'dead',
          finishedAt: `2026-05-01T12:0${i}:05.000Z`,
        }),
      );
    }
    const jobsCursor = (await jobs().listJobs(tenant, {}, 1)).nextCursor!;
    const deadCursor = (await executions().listDead(tenant, 1)).nextCursor!;
    return { tenant, jobsCursor, deadCursor };
  }

  it('refuses an extra or missing attribute, another type, an empty or overlong value, another list or tenant', async () => {
    const { tenant, jobsCursor, deadCursor } = await realCursors();
    const key = decode(jobsCursor);
    const forged = [
      encode({ ...key, extra: 'x' }),
      encode({ jobId: key.jobId, tenant: key.tenant }),
      encode({ ...key, createdKey: 42 }),
      encode({ ...key, createdKey: { S: 'x' } }),
      encode({ ...key, jobId: '' }),
      encode({ ...key, createdKey: 'k'.repeat(1025) }),
      encode([key]),
      deadCursor,
      'not base64 json',
    ];
    for (const cursor of forged) {
      await expect(jobs().listJobs(tenant, {}, 1, cursor), cursor).rejects.toBeInstanceOf(InvalidCursor);
    }
    await expect(jobs().listJobs(`${tenant}-other`, {}, 1, jobsCursor)).rejects.toBeInstanceOf(InvalidCursor);
    const dead = decode(deadCursor);
    for (const cursor of [jobsCursor, encode({ ...dead, finishedAt: 7 }), encode({ ...dead, x: '1' })]) {
      await expect(executions().listDead(tenant, 1, cursor)).rejects.toBeInstanceOf(InvalidCursor);
    }
    // The real cursors still continue their own lists.
    expect((await jobs().listJobs(tenant, {}, 5, jobsCursor)).items).toHaveLength(2);
    expect((await executions().listDead(tenant, 5, deadCursor)).items).toHaveLength(2);
  });
});
