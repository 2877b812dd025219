import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { DynamoExecutionStore } from '../../lambdas/adapters/dynamo-execution-store.js';
import { DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.js';
import { dynamoClient, type Emulator, startDynamo } from '../../local/emulators.js';
import { ensureTables } from '../../local/tables.js';
import { MemoryExecutionStore, MemoryJobStore } from '../support/memory.js';
import { tempDataDir } from '../support/runtime.js';
import { storeConformance } from './store-conformance.js';

const data = tempDataDir();
let emulator: Emulator;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  emulator = await startDynamo(data.dir);
  const raw = dynamoClient(emulator.endpoint);
  await ensureTables(raw, { jobs: 'jobs', executions: 'executions' });
  client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
});

afterAll(async () => {
  await emulator?.stop();
  data.remove();
});

storeConformance('DynamoDB (dynalite)', () => ({
  jobs: new DynamoJobStore(client, 'jobs'),
  executions: new DynamoExecutionStore(client, 'executions'),
}));

storeConformance('in-memory', () => ({ jobs: new MemoryJobStore(), executions: new MemoryExecutionStore() }));
