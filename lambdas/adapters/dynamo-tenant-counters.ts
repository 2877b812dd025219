import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { WINDOW_MS } from '../core/limits.js';
import type { ExecutionWindowCounter } from '../core/ports/execution-window-counter.js';
import type { TenantJobCounter } from '../core/ports/tenant-job-counter.js';
import { applied } from './dynamo-common.js';

/** Items of their own in the jobs table (like the watermarks): no job id starts with `#`. */
const jobCountKey = (tenant: string) => ({ jobId: `#jobcount#${tenant}` });
const windowId = (window: number, tenant: string) => `#xwindow#${window}#${tenant}`;
/** Window items outlive their minute by a day, then DynamoDB TTL (`expiresAt`) removes them. */
const WINDOW_ITEM_TTL_SECONDS = 24 * 3600;

/** The jobs-per-tenant count: one item per tenant, conditional ADD on create. */
export class DynamoTenantJobCounter implements TenantJobCounter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async tryIncrement(
    tenant: string,
    max: number,
  ): Promise<{ ok: true } | { ok: false; recountedAt: number | null }> {
    if (await this.add(tenant, 1, 'attribute_not_exists(jobCount) OR jobCount < :bound', max))
      return { ok: true };
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: jobCountKey(tenant), ConsistentRead: true }),
    );
    const at = out.Item?.recountedAt;
    return { ok: false, recountedAt: typeof at === 'number' ? at : null };
  }

  async decrement(tenant: string): Promise<void> {
    await this.add(tenant, -1, 'jobCount > :bound', 0);
  }

  /** Adds `delta` to the tenant's count if `condition` holds of the stored count and `:bound`. */
  private add(tenant: string, delta: number, condition: string, bound: number): Promise<boolean> {
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobCountKey(tenant),
          UpdateExpression: 'ADD jobCount :delta',
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':delta': delta, ':bound': bound },
        }),
      ),
    );
  }

  async reset(tenant: string, count: number, at: number): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...jobCountKey(tenant), jobCount: count, recountedAt: at },
      }),
    );
  }
}

/** Executions per tenant and minute, shared by every executor: one item per tenant and minute. */
export class DynamoExecutionWindowCounter implements ExecutionWindowCounter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async tryTake(tenant: string, window: number, amount: number, cap: number): Promise<boolean> {
    if (amount > cap) return false;
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: windowId(window, tenant) },
          UpdateExpression: 'ADD used :amount SET expiresAt = if_not_exists(expiresAt, :expires)',
          ConditionExpression: 'attribute_not_exists(used) OR used <= :room',
          ExpressionAttributeValues: {
            ':amount': amount,
            ':room': cap - amount,
            ':expires': Math.floor(((window + 1) * WINDOW_MS) / 1000) + WINDOW_ITEM_TTL_SECONDS,
          },
        }),
      ),
    );
  }
}
