import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../schemas/records.js';
import { ConditionFailed } from '../core/errors.js';
import type { JobFinish, JobStore } from '../core/ports/job-store.js';
import type { Page } from '../core/ports/page.js';
import { iso } from '../core/time.js';
import { batchGetAll, batchGetShared } from './dynamo-batch-get.js';
import { applied, decodeCursor, encodeCursor } from './dynamo-common.js';
import { isJobItem, jobItemOf, jobOfItem } from './dynamo-job-items.js';
import { type Condition, queryIndex } from './dynamo-query.js';
import { TABLES } from './dynamo-tables.js';

const T = TABLES.jobs;
/** Index pages a status-filtered list reads at most for one page of jobs. */
const MAX_FILTER_ROUNDS = 20;

/** Job definitions in the Jobs table (its `byTenant` index lists them). */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createJob(job: JobRecord, now: number): Promise<void> {
    const written = await applied(
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: jobItemOf(job, now),
          ConditionExpression: 'attribute_not_exists(jobId)',
        }),
      ),
    );
    if (!written) throw new ConditionFailed(`job ${job.jobId} exists`);
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { jobId }, ConsistentRead: true }),
    );
    return out.Item && isJobItem(out.Item) ? jobOfItem(out.Item) : null;
  }

  async getJobs(jobIds: string[]): Promise<JobRecord[]> {
    const keys = [...new Set(jobIds)].map((jobId) => ({ jobId }));
    return batchGetShared(this.client, this.table, T.partitionKey, keys, (raw) =>
      isJobItem(raw) ? jobOfItem(raw) : null,
    );
  }

  finishJob(jobId: string, finish: JobFinish, now: number): Promise<boolean> {
    // A job never re-planned has no planRev: plan 0.
    const samePlan =
      finish.planRev === 0 ? '(attribute_not_exists(planRev) OR planRev = :plan)' : 'planRev = :plan';
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId },
          UpdateExpression: 'SET #status = :to, version = version + :one, updatedAt = :now',
          ConditionExpression:
            `#status = :active AND attribute_not_exists(nextRunAt) AND ${samePlan} ` +
            'AND (attribute_not_exists(enqueuedThrough) OR enqueuedThrough = :last)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': finish.status,
            ':one': 1,
            ':now': iso(now),
            ':active': 'active',
            ':plan': finish.planRev,
            ':last': finish.lastRunAt,
          },
        }),
      ),
    );
  }

  async replaceJob(
    job: JobRecord,
    expected: { version: number; nextRunAt: string | undefined },
    now: number,
  ): Promise<void> {
    const sameNext =
      expected.nextRunAt === undefined ? 'attribute_not_exists(nextRunAt)' : 'nextRunAt = :next';
    const written = await applied(
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: jobItemOf(job, now),
          ConditionExpression: `version = :version AND ${sameNext}`,
          ExpressionAttributeValues: {
            ':version': expected.version,
            ...(expected.nextRunAt === undefined ? {} : { ':next': expected.nextRunAt }),
          },
        }),
      ),
    );
    if (!written) throw new ConditionFailed(`job ${job.jobId} changed concurrently`);
  }

  /**
   * A page of the `byTenant` index (it projects the keys and the name: the name filter runs in the
   * Query), then the page's jobs by key in one BatchGetItem. The index does not hold the status (a
   * completion would write it), so a status filter applies to the jobs read: while it leaves the
   * page short, the next entries are read, up to MAX_FILTER_ROUNDS index pages; each page's
   * entries are all consumed, so the cursor is where the last one ended.
   */
  async listJobs(
    tenant: string,
    filter: { status?: JobRecord['status']; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobRecord>> {
    const namePrefix: Condition | null = filter.namePrefix
      ? {
          expression: 'begins_with(#name, :prefix)',
          names: { '#name': 'name' },
          values: { ':prefix': filter.namePrefix },
        }
      : null;
    const query = {
      table: this.table,
      index: T.byTenantIndex,
      keys: { table: T.partitionKey, partition: T.byTenantPartitionKey, sort: T.byTenantSortKey },
      partition: tenant,
      filters: [namePrefix],
      newestFirst: true,
      parse: (raw: Record<string, unknown>) => String(raw[T.partitionKey]),
    };
    const jobs: JobRecord[] = [];
    let next = cursor;
    for (let round = 0; round < MAX_FILTER_ROUNDS; round++) {
      const page = await queryIndex(this.client, query, limit - jobs.length, next);
      const found = await batchGetAll(
        this.client,
        this.table,
        page.items.map((jobId) => ({ [T.partitionKey]: jobId })),
        (raw) => (isJobItem(raw) ? jobOfItem(raw) : null),
      );
      const byId = new Map(found.map((job) => [job.jobId, job]));
      for (const jobId of page.items) {
        const job = byId.get(jobId);
        if (job && job.tenant === tenant && (!filter.status || job.status === filter.status)) jobs.push(job);
      }
      next = page.nextCursor ?? undefined;
      if (next === undefined || jobs.length >= limit) break;
    }
    return { items: jobs, nextCursor: next ?? null };
  }

  async scanJobs(cursor?: string): Promise<Page<JobRecord>> {
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.table,
        FilterExpression: `attribute_exists(${T.byTenantSortKey})`,
        ExclusiveStartKey: decodeCursor(cursor, { keys: [T.partitionKey] }),
      }),
    );
    return { items: (out.Items ?? []).map(jobOfItem), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  async ping(): Promise<void> {
    await this.client.send(new GetCommand({ TableName: this.table, Key: { jobId: '#ping' } }));
  }
}
