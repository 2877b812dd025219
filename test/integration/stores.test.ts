import { describe, expect, it } from 'vitest';
import { DynamoExecutionStore } from '../../lambdas/adapters/dynamo-execution-store.js';
import { DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.js';
import { InvalidCursor } from '../../lambdas/core/errors.js';
import { dynaliteTables } from '../support/dynalite.js';
import { MemoryExecutionStore, MemoryJobStore } from '../support/memory.js';
import { aJob, anExecution, storeConformance } from './store-conformance.js';

const dynamo = dynaliteTables();

storeConformance('DynamoDB (dynalite)', () => ({
  jobs: new DynamoJobStore(dynamo.client, 'jobs'),
  executions: new DynamoExecutionStore(dynamo.client, 'executions'),
}));

storeConformance('in-memory', () => ({ jobs: new MemoryJobStore(), executions: new MemoryExecutionStore() }));

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
      await jobs().createJob(job);
      await executions().createExecution(
        anExecution(job, `2026-05-01T12:0${i}:00.000Z`, {
          status: 'dead',
          deadTenant: tenant,
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
