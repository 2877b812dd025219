import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLES } from '../lambdas/adapters/dynamo-tables.js';

const S = 'S' as const;
const all = { ProjectionType: 'ALL' as const };

function gsi(name: string, partition: string, sort: string, include?: readonly string[]) {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: partition, KeyType: 'HASH' as const },
      { AttributeName: sort, KeyType: 'RANGE' as const },
    ],
    Projection: include ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...include] } : all,
  };
}

/** The same tables and indexes as lib/constructs/storage (the CDK stack), for the emulators. */
export function tableDefinitions(names: { jobs: string; executions: string }): CreateTableCommandInput[] {
  const J = TABLES.jobs;
  const E = TABLES.executions;
  return [
    {
      TableName: names.jobs,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: J.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [
        J.partitionKey,
        J.dueIndexPartitionKey,
        J.dueIndexSortKey,
        J.byTenantPartitionKey,
        J.byTenantSortKey,
      ].map((AttributeName) => ({ AttributeName, AttributeType: S })),
      GlobalSecondaryIndexes: [
        gsi(J.dueIndex, J.dueIndexPartitionKey, J.dueIndexSortKey, J.dueIndexAttributes),
        gsi(J.byTenantIndex, J.byTenantPartitionKey, J.byTenantSortKey, J.byTenantIndexAttributes),
      ],
    },
    {
      TableName: names.executions,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: E.partitionKey, KeyType: 'HASH' },
        { AttributeName: E.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        E.partitionKey,
        E.sortKey,
        E.pendingPartitionKey,
        E.pendingSortKey,
        E.deadPartitionKey,
        E.deadSortKey,
      ].map((AttributeName) => ({ AttributeName, AttributeType: S })),
      GlobalSecondaryIndexes: [
        gsi(E.pendingIndex, E.pendingPartitionKey, E.pendingSortKey),
        gsi(E.deadIndex, E.deadPartitionKey, E.deadSortKey),
      ],
    },
  ];
}

/** Creates the tables that do not exist yet (a restart on the same data directory keeps them). */
export async function ensureTables(
  client: DynamoDBClient,
  names: { jobs: string; executions: string },
): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const definition of tableDefinitions(names)) {
    if (!existing.has(definition.TableName!)) await client.send(new CreateTableCommand(definition));
  }
  // dynalite answers CreateTable before the table turns ACTIVE (a timer and a LevelDB write later);
  // a query in between fails with ResourceNotFound, so nothing may start before both are ACTIVE.
  for (const name of [names.jobs, names.executions]) await untilActive(client, name);
}

async function untilActive(client: DynamoDBClient, table: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((i) => (i.IndexStatus ?? 'ACTIVE') === 'ACTIVE'))
      return;
    if (Date.now() > deadline) throw new Error(`table ${table} did not become ACTIVE within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
