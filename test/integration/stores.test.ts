import { DynamoExecutionStore } from '../../lambdas/adapters/dynamo-execution-store.js';
import { DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.js';
import { dynaliteTables } from '../support/dynalite.js';
import { MemoryExecutionStore, MemoryJobStore } from '../support/memory.js';
import { storeConformance } from './store-conformance.js';

const dynamo = dynaliteTables();

storeConformance('DynamoDB (dynalite)', () => ({
  jobs: new DynamoJobStore(dynamo.client, 'jobs'),
  executions: new DynamoExecutionStore(dynamo.client, 'executions'),
}));

storeConformance('in-memory', () => ({ jobs: new MemoryJobStore(), executions: new MemoryExecutionStore() }));
