import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkCall {
  at: number;
  /** Which connection the call came on (1, 2, … in the order they were opened): keep-alive reuse shows. */
  connection: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Sink {
  url: string;
  calls: SinkCall[];
  /** Answer for the next calls: status code, optional delay before answering. */
  respond(behaviour: (call: SinkCall) => { status: number; delayMs?: number; body?: string }): void;
  close(): Promise<void>;
}

/** A real HTTP target on loopback that records every call with its arrival time. */
export async function startSink(): Promise<Sink> {
  const calls: SinkCall[] = [];
  let behaviour: Parameters<Sink['respond']>[0] = () => ({ status: 200 });
  const connections = new WeakMap<object, number>();
  let opened = 0;
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    const connection = connections.get(req.socket) ?? 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call: SinkCall = {
        at,
        connection,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      const answer = behaviour(call);
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body ?? '{}');
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  server.on('connection', (socket) => connections.set(socket, ++opened));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    respond(next) {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` until it returns a value or the timeout passes (real time: these tests wait for the scheduler). */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
