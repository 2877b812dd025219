import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DependencyEdges } from '../core/ports/dependency-edges.js';
import { dependentsId } from './dynamo-job-items.js';

/** Reverse dependency edges: one item per upstream job in the Jobs table, its dependents in a string set. */
export class DynamoDependencyEdges implements DependencyEdges {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

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
}
