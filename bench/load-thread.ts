import { Worker } from 'node:worker_threads';
import type { BenchSink, SinkArrival } from './sink.js';

/**
 * The outside world of the quick benchmark — the API's client and the targets' sink — in a worker
 * thread of its own, so that what the figures time is the scheduler's event loop and not the
 * benchmark's: a real client and a real target are other machines. On the shared event loop the
 * client's fetch alone took about a tenth of it while creating jobs (docs/benchmarks.md). The
 * worker records each arrival's instant itself (Date.now() is one clock for every thread) and
 * the client's latency around its own fetch; the main thread gets arrivals in small batches.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
let pending = [];
let flushing = null;
const flush = () => {
  flushing = null;
  parentPort.postMessage({ kind: 'arrivals', arrivals: pending });
  pending = [];
};
const server = http.createServer((req, res) => {
  const at = Date.now();
  const header = (name) => {
    const value = req.headers[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  };
  const arrival = {
    at,
    path: req.url ?? '',
    key: header('idempotency-key'),
    scheduledAt: Date.parse(header('x-scheduler-scheduled-at')),
    attempt: Number(header('x-scheduler-attempt') || 1),
    status: 200,
  };
  req.resume();
  req.on('end', () => {
    pending.push(arrival);
    flushing ??= setTimeout(flush, 5);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ kind: 'listening', port: server.address().port }));
parentPort.on('message', async (m) => {
  if (m.kind === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.postMessage({ kind: 'closed' }));
    return;
  }
  const started = performance.now();
  try {
    const response = await fetch(m.url, { method: m.method, headers: m.headers, body: m.body });
    const text = await response.text();
    parentPort.postMessage({ kind: 'response', id: m.id, status: response.status, ms: performance.now() - started, text });
  } catch (error) {
    parentPort.postMessage({ kind: 'response', id: m.id, error: String(error) });
  }
});
`;

export interface LoadResponse {
  status: number;
  /** Request sent until the whole answer was read, timed in the load thread. */
  ms: number;
  text: string;
}

type FromWorker =
  | { kind: 'listening'; port: number }
  | { kind: 'arrivals'; arrivals: SinkArrival[] }
  | { kind: 'response'; id: number; status: number; ms: number; text: string }
  | { kind: 'response'; id: number; error: string }
  | { kind: 'closed' };

export interface LoadThread {
  sink: BenchSink;
  request(method: string, url: string, headers: Record<string, string>, body?: string): Promise<LoadResponse>;
}

export async function startLoadThread(): Promise<LoadThread> {
  const worker = new Worker(SOURCE, { eval: true, name: 'bench-load' });
  const waiting = new Map<number, { resolve: (r: LoadResponse) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let closed: (() => void) | undefined;
  const sink: BenchSink = {
    url: '',
    arrivals: [],
    close: () =>
      new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage({ kind: 'close' });
      }).then(() => worker.terminate().then(() => undefined)),
  };
  const listening = new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.kind === 'listening') resolve(m.port);
      else if (m.kind === 'arrivals') {
        for (const arrival of m.arrivals) {
          sink.arrivals.push(arrival);
          sink.onArrival?.(arrival);
        }
      } else if (m.kind === 'response') {
        const call = waiting.get(m.id);
        waiting.delete(m.id);
        if ('error' in m) call?.reject(new Error(m.error));
        else call?.resolve({ status: m.status, ms: m.ms, text: m.text });
      } else closed?.();
    });
  });
  sink.url = `http://127.0.0.1:${await listening}`;
  // A load thread that dies fails the requests it held (as a failed fetch did on the main thread).
  worker.on('exit', (code) => {
    for (const call of waiting.values()) call.reject(new Error(`the bench's load thread exited (${code})`));
    waiting.clear();
  });
  worker.unref();
  return {
    sink,
    request: (method, url, headers, body) =>
      new Promise<LoadResponse>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ kind: 'request', id, method, url, headers, body });
      }),
  };
}
