import { Worker } from 'node:worker_threads';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { Emulator } from './emulators.js';

/**
 * The emulators in worker threads of this process, so `npm start` uses both cores: on one event
 * loop dynalite (LevelDB, request parsing, capacity arithmetic) and fauxqs (HTTP, queue bookkeeping)
 * take a third or more of the busy time — DynamoDB's and SQS's work in AWS — beside the API, the
 * watcher and the executor (docs/decisions/local-threads.md). The workers' code is plain CommonJS
 * so they need no TypeScript loader; each answers `{endpoint}` or `{error}` once listening, and
 * `stop` with `{stopped}`.
 */
const DYNALITE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(({ default: dynalite }) => {
  const server = dynalite({ path: workerData.path, createTableMs: workerData.createTableMs, deleteTableMs: 0, updateTableMs: 0 });
  server.on('error', (error) => parentPort.postMessage({ error: String(error.message ?? error) }));
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ endpoint: 'http://127.0.0.1:' + server.address().port }));
  parentPort.on('message', (m) => { if (m === 'stop') server.close(() => parentPort.postMessage({ stopped: true })); });
}).catch((error) => parentPort.postMessage({ error: String(error.message ?? error) }));
`;

const FAUXQS = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(async ({ buildApp }) => {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: workerData.port, host: '127.0.0.1' });
  parentPort.postMessage({ endpoint });
  parentPort.on('message', (m) => { if (m === 'stop') app.close().then(() => parentPort.postMessage({ stopped: true })); });
}).catch((error) => parentPort.postMessage({ error: String(error.message ?? error) }));
`;

const STOP_TIMEOUT_MS = 5000;

async function startWorker(
  name: string,
  source: string,
  workerData: Record<string, unknown>,
  log: Logger,
): Promise<Emulator> {
  const worker = new Worker(source, { eval: true, workerData, name });
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { endpoint?: string; error?: string }) => {
      if (message.endpoint) resolve(message.endpoint);
      else reject(new Error(message.error ?? `${name} did not start`));
    });
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  let stopping = false;
  worker.on('error', (error) => log.error(`${name} thread failed`, { error: String(error) }));
  worker.on('exit', (code) => {
    if (!stopping) log.error(`${name} thread exited (${code}); the scheduler cannot work without it`);
  });
  return {
    endpoint,
    stop: async () => {
      stopping = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
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

/** dynalite on `path` in a worker thread (the caller has checked that the database opens). */
export function startDynamoThread(path: string, log: Logger, createTableMs = 0): Promise<Emulator> {
  return startWorker(
    'dynalite',
    DYNALITE,
    { module: import.meta.resolve('dynalite'), path, createTableMs },
    log,
  );
}

/** fauxqs in a worker thread, on `port` (0: any free one). */
export function startSqsThread(port: number, log: Logger): Promise<Emulator> {
  return startWorker('fauxqs', FAUXQS, { module: import.meta.resolve('fauxqs'), port }, log);
}
