import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DependencyEdges } from '../core/ports/dependency-edges.js';
import { batchGetShared } from './dynamo-batch-get.js';
import { dependentsId } from './dynamo-job-items.js';

/** Reverse dependency edges: one item per upstream job in the Jobs table, its dependents in a string set. */
export class DynamoDependencyEdges implements DependencyEdges {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  addDependent(upstreamId: string, downstreamId: string): Promise<void> {
    return this.editDependents('ADD', upstreamId, downstreamId);
  }
  removeDependent(upstreamId: string, downstreamId: string): Promise<void> {
    return this.editDependents('DELETE', upstreamId, downstreamId);
  }
  private async editDependents(action: 'ADD' | 'DELETE', upstreamId: string, downstreamId: string) {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { jobId: dependentsId(upstreamId) },
        UpdateExpression: `${action} downstream :ids`,
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
    return downstreamOf(out.Item);
  }
  async getDependentsOfMany(upstreamIds: string[]): Promise<Map<string, string[]>> {
    const unique = [...new Set(upstreamIds)];
    const found = new Map(unique.map((id) => [id, [] as string[]]));
    const keys = unique.map((id) => ({ jobId: dependentsId(id) }));
    const items = await batchGetShared(this.client, this.table, 'jobId', keys, (raw) => raw);
    for (const item of items)
      found.set(String(item.jobId).slice(dependentsId('').length), downstreamOf(item));
    return found;
  }
}

/** The dependents an edge item lists, sorted ([] for no item). */
function downstreamOf(item: Record<string, unknown> | undefined): string[] {
  const ids = item?.downstream;
  return ids instanceof Set ? [...(ids as Set<string>)].sort() : [];
}
