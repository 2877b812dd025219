import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../schemas/records.js';
import { hoursBetween } from '../core/buckets.js';
import { ConditionFailed } from '../core/errors.js';
import type { DueAdvance, DueIndex, DuePage } from '../core/ports/due-index.js';
import { iso } from '../core/time.js';
import { applied } from './dynamo-common.js';
import { dueBucketOf, dueJobOfItem, dueKeyFor, dueKeysOf } from './dynamo-job-items.js';
import { queryIndex } from './dynamo-query.js';
import { TABLES } from './dynamo-tables.js';

const T = TABLES.jobs;
const PAGE = 100;

/** The `due` index of the Jobs table: one partition per UTC hour and shard, sorted by the next run. */
export class DynamoDueIndex implements DueIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async *dueJobs(shard: number, fromHour: string, upTo: number): AsyncIterable<DuePage> {
    const upToKey = dueKeyFor(iso(upTo), '~');
    for (const hour of hoursBetween(fromHour, upTo)) {
      const bucket = dueBucketOf(hour, shard);
      let cursor: string | undefined;
      do {
        const query = {
          table: this.table,
          index: T.dueIndex,
          keys: { table: T.partitionKey, partition: T.dueIndexPartitionKey, sort: T.dueIndexSortKey },
          partition: bucket,
          sortKey: { expression: '#sk <= :upTo', values: { ':upTo': upToKey } },
          parse: dueJobOfItem,
        };
        const page = await queryIndex(this.client, query, PAGE, cursor);
        cursor = page.nextCursor ?? undefined;
        yield { hour, jobs: page.items };
      } while (cursor);
    }
  }

  async advanceJob(job: Pick<JobRecord, 'jobId' | 'shard'>, advance: DueAdvance): Promise<void> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {
      ':expectedNext': advance.expectedNextRunAt,
      ':version': advance.expectedVersion,
      ':active': 'active',
    };
    const sets: string[] = [];
    const removes: string[] = [];
    const due = dueKeysOf(job, advance.nextRunAt, advance.now);
    if (advance.nextRunAt === null || due === null) {
      removes.push('nextRunAt', T.dueIndexPartitionKey, T.dueIndexSortKey);
    } else {
      sets.push('nextRunAt = :next', `${T.dueIndexPartitionKey} = :bucket`, `${T.dueIndexSortKey} = :key`);
      values[':next'] = iso(advance.nextRunAt);
      values[':bucket'] = due.dueBucket;
      values[':key'] = due.dueKey;
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
    const written = await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: job.jobId },
          UpdateExpression: update,
          ConditionExpression: 'nextRunAt = :expectedNext AND version = :version AND #status = :active',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    if (!written) throw new ConditionFailed(`job ${job.jobId} moved concurrently`);
  }
}
