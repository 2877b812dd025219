import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type JobItem, JobItem as JobItemSchema } from '../../schemas/stored.js';
import { dueBucketFor, dueKeyFor } from '../core/buckets.js';
import { ConditionFailed } from '../core/errors.js';
import type { DependencyRound, DueAdvance, JobStore } from '../core/ports/job-store.js';
import type { Page } from '../core/ports/page.js';
import { iso } from '../core/time.js';
import { TABLES } from '../shared/config.js';
import { decodeCursor, encodeCursor, isConditionFailed } from './dynamo-common.js';
import { queryPage } from './dynamo-query.js';

const T = TABLES.jobs;
const watermarkId = (shard: number) => `#watermark#${shard}`;
/** Concurrency slots live in an item of their own, so a job replace (PATCH) never clobbers them. */
const slotsId = (jobId: string) => `#slots#${jobId}`;
const SLOT_RACES = 5;
/** Reverse dependency edges and each downstream's round: items of their own, like the slots. */
const dependentsId = (upstreamId: string) => `#dependents#${upstreamId}`;
const roundId = (downstreamId: string) => `#upstreams#${downstreamId}`;
const ARRIVED = 'arrived:';

function roundOf(item: Record<string, unknown> | undefined): DependencyRound {
  const arrived: Record<string, string> = {};
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith(ARRIVED) && typeof value === 'string') arrived[name.slice(ARRIVED.length)] = value;
  }
  return {
    arrived,
    rev: typeof item?.rev === 'number' ? item.rev : 0,
    ...(typeof item?.lastClosedAt === 'string' ? { lastClosedAt: item.lastClosedAt } : {}),
  };
}
const parseJob = (raw: Record<string, unknown>): JobItem => JobItemSchema.parse(raw);

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createJob(job: JobItem): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: job,
          ConditionExpression: 'attribute_not_exists(jobId)',
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new ConditionFailed(`job ${job.jobId} exists`);
      throw error;
    }
  }

  async getJob(jobId: string): Promise<JobItem | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { jobId }, ConsistentRead: true }),
    );
    return out.Item && out.Item.createdKey !== undefined ? parseJob(out.Item) : null;
  }

  async replaceJob(
    job: JobItem,
    expected: { version: number; nextRunAt: string | undefined },
  ): Promise<void> {
    const sameNext =
      expected.nextRunAt === undefined ? 'attribute_not_exists(nextRunAt)' : 'nextRunAt = :next';
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: job,
          ConditionExpression: `version = :version AND ${sameNext}`,
          ExpressionAttributeValues: {
            ':version': expected.version,
            ...(expected.nextRunAt === undefined ? {} : { ':next': expected.nextRunAt }),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new ConditionFailed(`job ${job.jobId} changed concurrently`);
      throw error;
    }
  }

  async advanceJob(job: JobItem, advance: DueAdvance): Promise<void> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {
      ':expectedNext': advance.expectedNextRunAt,
      ':version': advance.expectedVersion,
      ':active': 'active',
    };
    const sets: string[] = [];
    const removes: string[] = [];
    if (advance.nextRunAt === null) {
      removes.push('nextRunAt', 'dueBucket', 'dueKey');
    } else {
      const nextIso = iso(advance.nextRunAt);
      sets.push('nextRunAt = :next', 'dueBucket = :bucket', 'dueKey = :key');
      values[':next'] = nextIso;
      values[':bucket'] = dueBucketFor(advance.nextRunAt, job.shard, advance.now);
      values[':key'] = dueKeyFor(nextIso, job.jobId);
    }
    if (advance.enqueuedThrough !== null) {
      sets.push('enqueuedThrough = :through');
      values[':through'] = advance.enqueuedThrough;
    }
    if (advance.status !== undefined) {
      sets.push('#status = :newStatus', 'updatedAt = :now');
      values[':newStatus'] = advance.status;
      values[':now'] = iso(advance.now);
    }
    const update = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: job.jobId },
          UpdateExpression: update,
          ConditionExpression: 'nextRunAt = :expectedNext AND version = :version AND #status = :active',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new ConditionFailed(`job ${job.jobId} moved concurrently`);
      throw error;
    }
  }

  async queryDue(bucket: string, upToKey: string, limit: number, cursor?: string): Promise<Page<JobItem>> {
    return queryPage(
      this.client,
      {
        TableName: this.table,
        IndexName: T.dueIndex,
        KeyConditionExpression: '#b = :bucket AND #k <= :upTo',
        ExpressionAttributeNames: { '#b': T.dueIndexPartitionKey, '#k': T.dueIndexSortKey },
        ExpressionAttributeValues: { ':bucket': bucket, ':upTo': upToKey },
      },
      limit,
      parseJob,
      decodeCursor(cursor, {
        keys: [T.partitionKey, T.dueIndexPartitionKey, T.dueIndexSortKey],
        partition: { name: T.dueIndexPartitionKey, value: bucket },
      }),
    );
  }

  async listJobs(
    tenant: string,
    filter: { status?: JobItem['status']; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobItem>> {
    const conditions: string[] = [];
    const names: Record<string, string> = { '#t': T.byTenantPartitionKey };
    const values: Record<string, unknown> = { ':tenant': tenant };
    if (filter.status) {
      conditions.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = filter.status;
    }
    if (filter.namePrefix) {
      conditions.push('begins_with(#name, :prefix)');
      names['#name'] = 'name';
      values[':prefix'] = filter.namePrefix;
    }
    return queryPage(
      this.client,
      {
        TableName: this.table,
        IndexName: T.byTenantIndex,
        KeyConditionExpression: '#t = :tenant',
        FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
      },
      limit,
      parseJob,
      decodeCursor(cursor, {
        keys: [T.partitionKey, T.byTenantPartitionKey, T.byTenantSortKey],
        partition: { name: T.byTenantPartitionKey, value: tenant },
      }),
    );
  }

  async getWatermark(shard: number): Promise<string | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { jobId: watermarkId(shard) } }),
    );
    const hour = out.Item?.hour;
    return typeof hour === 'string' ? hour : null;
  }

  async setWatermark(shard: number, hour: string): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: { jobId: watermarkId(shard), hour } }),
    );
  }

  async acquireSlot(
    jobId: string,
    holder: string,
    max: number,
    until: number,
    now: number,
  ): Promise<'acquired' | 'held' | 'full'> {
    const key = { jobId: slotsId(jobId) };
    for (let race = 0; race < SLOT_RACES; race++) {
      const out = await this.client.send(
        new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
      );
      try {
        if (!out.Item) {
          await this.client.send(
            new PutCommand({
              TableName: this.table,
              Item: { ...key, holders: { [holder]: until }, rev: 1 },
              ConditionExpression: 'attribute_not_exists(jobId)',
            }),
          );
          return 'acquired';
        }
        const holders = (out.Item.holders ?? {}) as Record<string, number>;
        const held = holders[holder] !== undefined;
        const expired = Object.keys(holders).filter((h) => h !== holder && (holders[h] ?? 0) <= now);
        const live = Object.keys(holders).filter((h) => h !== holder && !expired.includes(h));
        if (!held && live.length >= max) return 'full';
        const names: Record<string, string> = { '#h': holder };
        expired.forEach((h, i) => {
          names[`#x${i}`] = h;
        });
        const removes = expired.map((_, i) => `holders.#x${i}`);
        await this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: `SET holders.#h = :until, rev = rev + :one${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'rev = :rev',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':until': until, ':one': 1, ':rev': out.Item.rev },
          }),
        );
        return held ? 'held' : 'acquired';
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    return 'full';
  }

  async releaseSlot(jobId: string, holder: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: slotsId(jobId) },
          UpdateExpression: 'REMOVE holders.#h SET rev = rev + :one',
          ConditionExpression: 'attribute_exists(jobId)',
          ExpressionAttributeNames: { '#h': holder },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  async scanJobs(cursor?: string): Promise<Page<JobItem>> {
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.table,
        FilterExpression: 'attribute_exists(createdKey)',
        ExclusiveStartKey: decodeCursor(cursor, { keys: [T.partitionKey] }),
      }),
    );
    return { items: (out.Items ?? []).map(parseJob), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  async ping(): Promise<void> {
    await this.client.send(new GetCommand({ TableName: this.table, Key: { jobId: '#ping' } }));
  }

  async addDependent(upstreamId: string, downstreamId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { jobId: dependentsId(upstreamId) },
        UpdateExpression: 'ADD downstream :ids',
        ExpressionAttributeValues: { ':ids': new Set([downstreamId]) },
      }),
    );
  }

  async removeDependent(upstreamId: string, downstreamId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { jobId: dependentsId(upstreamId) },
        UpdateExpression: 'DELETE downstream :ids',
        ExpressionAttributeValues: { ':ids': new Set([downstreamId]) },
      }),
    );
  }

  async getDependents(upstreamId: string): Promise<string[]> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: { jobId: dependentsId(upstreamId) },
        ConsistentRead: true,
      }),
    );
    const ids = out.Item?.downstream;
    return ids instanceof Set ? [...(ids as Set<string>)].sort() : [];
  }

  async getDependencyRound(downstreamId: string): Promise<DependencyRound> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { jobId: roundId(downstreamId) }, ConsistentRead: true }),
    );
    return roundOf(out.Item);
  }

  async recordUpstreamRun(
    downstreamId: string,
    upstreamId: string,
    executionId: string,
  ): Promise<DependencyRound> {
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { jobId: roundId(downstreamId) },
        UpdateExpression: 'SET #arrived = :execution, rev = if_not_exists(rev, :zero) + :one',
        ExpressionAttributeNames: { '#arrived': `${ARRIVED}${upstreamId}` },
        ExpressionAttributeValues: { ':execution': executionId, ':zero': 0, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return roundOf(out.Attributes);
  }

  async closeDependencyRound(
    downstreamId: string,
    expectedRev: number,
    consumed: string[],
    at: string,
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    consumed.forEach((upstreamId, i) => {
      names[`#a${i}`] = `${ARRIVED}${upstreamId}`;
    });
    const removes = consumed.map((_, i) => `#a${i}`);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: roundId(downstreamId) },
          UpdateExpression: `SET rev = :next, lastClosedAt = :at${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          // A round nobody wrote yet (rev 0) has no item: the first close creates it.
          ConditionExpression: expectedRev === 0 ? 'attribute_not_exists(rev)' : 'rev = :rev',
          ...(removes.length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: {
            ':next': expectedRev + 1,
            ':at': at,
            ...(expectedRev === 0 ? {} : { ':rev': expectedRev }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
