import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DependencyRound, DependencyRounds } from '../core/ports/dependency-rounds.js';
import { applied } from './dynamo-common.js';
import { roundId } from './dynamo-job-items.js';

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
/** Each dependent job's round: one item per downstream job in the Jobs table, an attribute per arrival. */
export class DynamoDependencyRounds implements DependencyRounds {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

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
    return applied(
      this.client.send(
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
      ),
    );
  }
}
