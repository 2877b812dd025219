import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the sink received; kept small, a full run records hundreds of thousands. */
export interface SinkArrival {
  /** Arrival (epoch ms), taken when the request's headers are parsed. */
  at: number;
  path: string;
  key: string;
  scheduledAt: number;
  attempt: number;
  status: number;
}

export interface BenchSink {
  url: string;
  arrivals: SinkArrival[];
  /** Called for each arrival as it happens (trigger latency listens here). */
  onArrival?: (arrival: SinkArrival) => void;
  close(): Promise<void>;
}

/**
 * A real HTTP target on loopback, like test/support/sink.ts but leaner: it keeps only what the
 * figures need (arrival time, Idempotency-Key, scheduled instant, attempt) and always answers 200.
 */
export async function startBenchSink(): Promise<BenchSink> {
  const sink: BenchSink = { url: '', arrivals: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
    };
    const arrival: SinkArrival = {
      at,
      path: req.url ?? '',
      key: header('idempotency-key'),
      scheduledAt: Date.parse(header('x-scheduler-scheduled-at')),
      attempt: Number(header('x-scheduler-attempt') || 1),
      status: 200,
    };
    req.resume();
    req.on('end', () => {
      sink.arrivals.push(arrival);
      sink.onArrival?.(arrival);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  sink.url = `http://127.0.0.1:${port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}
