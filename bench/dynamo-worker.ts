import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * dynalite in a worker thread of this process. On one event loop the emulator (LevelDB, request
 * parsing, billing arithmetic) takes about a quarter of the busy time, which is DynamoDB's work in
 * AWS, not the scheduler's; in a worker it runs on the machine's other core. Plain CommonJS so the
 * worker needs no TypeScript loader.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('node:module').createRequire(workerData.resolveFrom)('dynalite');
const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('error', (error) => parentPort.postMessage({ error: String(error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'stop') server.close(() => parentPort.postMessage({ stopped: true }));
});
`;

export interface WorkerDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startWorkerDynamo(dataDir: string): Promise<WorkerDynamo> {
  const path = join(dataDir, 'dynamodb');
  mkdirSync(path, { recursive: true });
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, resolveFrom: import.meta.url },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { port?: number; error?: string }) => {
      if (message.port) resolve(message.port);
      else reject(new Error(`dynalite worker: ${message.error ?? 'no port'}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        worker.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage('stop');
      });
      await worker.terminate();
    },
  };
}
