import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConcurrencySlots } from '../core/ports/concurrency-slots.js';
import { applied, isConditionFailed } from './dynamo-common.js';
import { slotsId } from './dynamo-job-items.js';

const SLOT_RACES = 5;

/** Each job's concurrency slots: one item per job in the Jobs table, holders mapped to their lease's end. */
export class DynamoConcurrencySlots implements ConcurrencySlots {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

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
    // No slots item: nothing is held.
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: slotsId(jobId) },
          UpdateExpression: 'REMOVE holders.#h SET rev = rev + :one',
          ConditionExpression: 'attribute_exists(jobId)',
          ExpressionAttributeNames: { '#h': holder },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      ),
    );
  }
}
