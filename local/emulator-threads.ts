import { Worker } from 'node:worker_threads';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { Emulator, SqsEmulator } from './emulators.js';
import type { SqsAnswer } from './sqs-direct.js';

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

/** Also answers `{call, requests}` with `{call, answers}`: SQS requests by the app's router, no socket (injectAll in sqs-direct.ts). */
const FAUXQS = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(async ({ buildApp }) => {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: workerData.port, host: '127.0.0.1' });
  const injectAll = async (requests) => {
    const answers = [];
    for (const r of requests) {
      const res = await app.inject({ method: 'POST', url: '/', payload: JSON.stringify(r.input),
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.' + r.action } });
      answers.push({ status: res.statusCode, output: res.json() });
    }
    return answers;
  };
  parentPort.postMessage({ endpoint });
  parentPort.on('message', (m) => {
    if (m === 'stop') app.close().then(() => parentPort.postMessage({ stopped: true }));
    else if (m && typeof m.call === 'number')
      injectAll(m.requests).then((answers) => parentPort.postMessage({ call: m.call, answers }),
        (error) => parentPort.postMessage({ call: m.call, error: String(error.message ?? error) }));
  });
}).catch((error) => parentPort.postMessage({ error: String(error.message ?? error) }));
`;

const STOP_TIMEOUT_MS = 5000;

/** A worker's answer to a call, or its word that it started, failed or stopped. */
type FromWorker = { endpoint?: string; error?: string; stopped?: boolean; call?: number; answers?: unknown };

async function startWorker(
  name: string,
  source: string,
  workerData: Record<string, unknown>,
  log: Logger,
): Promise<Emulator & { call(message: object): Promise<unknown> }> {
  const worker = new Worker(source, { eval: true, workerData, name });
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: FromWorker) => {
      if (message.endpoint) resolve(message.endpoint);
      else reject(new Error(message.error ?? `${name} did not start`));
    });
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  let stopping = false;
  let stopped: (() => void) | undefined;
  let calls = 0;
  const pending = new Map<number, { resolve(answers: unknown): void; reject(error: Error): void }>();
  worker.on('message', (message: FromWorker) => {
    if (message.stopped) stopped?.();
    if (message.call === undefined) return;
    const caller = pending.get(message.call);
    pending.delete(message.call);
    if (message.error !== undefined) caller?.reject(new Error(`${name}: ${message.error}`));
    else caller?.resolve(message.answers);
  });
  worker.on('error', (error) => log.error(`${name} thread failed`, { error: String(error) }));
  worker.on('exit', (code) => {
    if (!stopping) log.error(`${name} thread exited (${code}); the scheduler cannot work without it`);
    for (const caller of pending.values()) caller.reject(new Error(`${name} thread exited`));
    pending.clear();
  });
  return {
    endpoint,
    call: (message) =>
      new Promise((resolve, reject) => {
        if (stopping) return reject(new Error(`${name} thread is stopping`));
        const call = ++calls;
        pending.set(call, { resolve, reject });
        worker.postMessage({ ...message, call });
      }),
    stop: async () => {
      stopping = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
        stopped = () => {
          clearTimeout(timer);
          resolve();
        };
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

/** fauxqs in a worker thread, on `port` (0: any free one); `post` hands it requests without a socket. */
export async function startSqsThread(port: number, log: Logger): Promise<SqsEmulator> {
  const { endpoint, stop, call } = await startWorker(
    'fauxqs',
    FAUXQS,
    { module: import.meta.resolve('fauxqs'), port },
    log,
  );
  return { endpoint, stop, post: async (requests) => (await call({ requests })) as SqsAnswer[] };
}
