import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type IdempotencyRecord, isLive, type StoredResponse } from '../core/idempotency.js';
import type { IdempotencyStore } from '../core/ports/idempotency-store.js';
import { applied } from './dynamo-common.js';

/** Races with an expiring record (it lapses between our write and our read) are retried this often. */
const CLAIM_RACES = 3;

/**
 * Idempotency keys as items of the Jobs table, `jobId = idem#<tenant>#<keyHash>`. They carry none
 * of the job index attributes (`tenant`, `createdKey`, `dueBucket`), so no GSI sees them, and
 * `expiresAt` is the table's TTL attribute; readers check it themselves since TTL is lazy.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(
    record: IdempotencyRecord,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }> {
    for (let race = 0; ; race++) {
      const claimed = await applied(
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: toItem(record),
            ConditionExpression:
              'attribute_not_exists(jobId) OR expiresAt <= :nowSeconds OR (idemState = :inProgress AND idemLockedUntil <= :now)',
            ExpressionAttributeValues: {
              ':nowSeconds': Math.floor(now / 1000),
              ':inProgress': 'in_progress',
              ':now': now,
            },
          }),
        ),
      );
      if (claimed) return { claimed: true };
      const existing = await this.read(record.tenant, record.keyHash);
      if (existing && isLive(existing, now)) return { claimed: false, existing };
      if (race >= CLAIM_RACES) throw new Error(`idempotency key ${record.keyHash} keeps changing`);
    }
  }

  async complete(record: IdempotencyRecord): Promise<void> {
    const item = toItem({ ...record, state: 'completed' });
    await ifStillOurs(() =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'idemCreatedAt = :createdAt',
          ExpressionAttributeValues: { ':createdAt': record.createdAt },
        }),
      ),
    );
  }

  async release(record: IdempotencyRecord): Promise<void> {
    await ifStillOurs(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { jobId: idOf(record.tenant, record.keyHash) },
          ConditionExpression: 'idemCreatedAt = :createdAt',
          ExpressionAttributeValues: { ':createdAt': record.createdAt },
        }),
      ),
    );
  }

  private async read(tenant: string, keyHash: string): Promise<IdempotencyRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { jobId: idOf(tenant, keyHash) }, ConsistentRead: true }),
    );
    return out.Item ? fromItem(tenant, keyHash, out.Item) : null;
  }
}

/** A claim taken over after its lock lapsed belongs to the newer request: our write is then a no-op. */
async function ifStillOurs(write: () => Promise<unknown>): Promise<void> {
  await applied(write());
}

const idOf = (tenant: string, keyHash: string) => `idem#${tenant}#${keyHash}`;

function toItem(record: IdempotencyRecord): Record<string, unknown> {
  return {
    jobId: idOf(record.tenant, record.keyHash),
    idemRequestHash: record.requestHash,
    idemState: record.state,
    idemCreatedAt: record.createdAt,
    idemLockedUntil: record.lockedUntil,
    expiresAt: record.expiresAt,
    ...(record.response ? { idemResponse: record.response } : {}),
  };
}

function fromItem(tenant: string, keyHash: string, item: Record<string, unknown>): IdempotencyRecord {
  const response = item.idemResponse as StoredResponse | undefined;
  return {
    tenant,
    keyHash,
    requestHash: String(item.idemRequestHash),
    state: item.idemState === 'completed' ? 'completed' : 'in_progress',
    createdAt: Number(item.idemCreatedAt),
    lockedUntil: Number(item.idemLockedUntil ?? 0),
    expiresAt: Number(item.expiresAt),
    ...(response ? { response } : {}),
  };
}
