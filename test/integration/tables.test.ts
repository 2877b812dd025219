import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../lambdas/adapters/dynamo-tables.js';
import { dynamoClient, type Emulator, startDynamo } from '../../local/emulators.js';
import { ensureTables } from '../../local/tables.js';
import { tempDataDir } from '../support/runtime.js';

describe('local tables', () => {
  const data = tempDataDir();
  let emulator: Emulator | undefined;
  afterAll(async () => {
    await emulator?.stop();
    data.remove();
  });

  it('are ready for queries when ensureTables returns, even while the emulator still says CREATING', async () => {
    // Real DynamoDB (and dynalite) answer CreateTable before the table is ACTIVE; the runtime's
    // restart recovery queries the pending index right after, which used to race it.
    emulator = await startDynamo(data.dir, { createTableMs: 300 });
    const client = dynamoClient(emulator.endpoint);
    await ensureTables(client, { jobs: 'jobs', executions: 'executions' });
    const E = TABLES.executions;
    const out = await client.send(
      new QueryCommand({
        TableName: 'executions',
        IndexName: E.pendingIndex,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': E.pendingPartitionKey },
        ExpressionAttributeValues: { ':p': { S: '0' } },
      }),
    );
    expect(out.Items).toEqual([]);
    // A second start on the same data finds the tables and leaves them as they are.
    await ensureTables(client, { jobs: 'jobs', executions: 'executions' });
  });
});
