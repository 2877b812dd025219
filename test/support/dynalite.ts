import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { dynamoClient, type Emulator, startDynamo } from '../../local/emulators.js';
import { ensureTables } from '../../local/tables.js';
import { tempDataDir } from './runtime.js';

/**
 * One dynalite with the scheduler's tables (`jobs`, `executions`) for the test file that calls
 * this at its top level: started before its tests, stopped and removed after them. `client` is
 * the document client, ready once the tests run.
 */
export function dynaliteTables(): { readonly client: DynamoDBDocumentClient } {
  const data = tempDataDir();
  let emulator: Emulator | undefined;
  let client: DynamoDBDocumentClient | undefined;
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
  return {
    get client() {
      if (!client) throw new Error('dynaliteTables: the client is ready only inside tests');
      return client;
    },
  };
}
