import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { apiClient, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { startSink, waitFor } from '../support/sink.js';

/** Servers listening on this thread's event loop. */
const listening = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

describe('the local runtime on both cores', () => {
  it('runs dynalite and fauxqs in worker threads: only the API listens on the scheduler’s event loop, and runs go through', async () => {
    // Prepare
    const data = tempDataDir();
    const sink = await startSink();
    const before = listening();
    const runtime = await startTestRuntime(data.dir, { watchIntervalMs: 500, lookaheadSeconds: 5 });
    try {
      // Assess: the API server alone (the sink was already counted)
      expect(listening() - before).toBe(1);
      const created = await apiClient(runtime.url)('POST', '/v1/jobs', {
        schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
        target: { url: `${sink.url}/threads` },
      });
      expect(created.status).toBe(201);
      await waitFor(() => sink.calls.filter((c) => c.path === '/threads').length >= 2, 8000, 'two runs');
      // The runtime's clients spare SigV4 on loopback (the emulators check only the header's form).
      const signatures: string[] = [];
      runtime.queues.client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers: Record<string, string> };
          signatures.push(request.headers.authorization ?? '');
          return next(args);
        },
        { step: 'deserialize' },
      );
      await runtime.stats();
      expect(signatures.length).toBeGreaterThan(0);
      expect(signatures.every((s) => s.endsWith('Signature=0'))).toBe(true);
    } finally {
      await runtime.stop();
      await sink.close();
      data.remove();
    }
  });

  it('sends the emulators lean requests: no SDK user agent, no log filtering, no trace header', async () => {
    const data = tempDataDir();
    const clients: { middlewareStack: DynamoDBClient['middlewareStack'] }[] = [];
    const runtime = await startTestRuntime(data.dir, {
      instrumentClient: (client: DynamoDBClient | SQSClient) => {
        clients.push(client as DynamoDBClient);
      },
    });
    try {
      const sent: Record<string, string>[] = [];
      for (const client of clients) {
        client.middlewareStack.add(
          (next) => async (args) => {
            sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
            return next(args);
          },
          { step: 'deserialize' },
        );
      }
      const created = await apiClient(runtime.url)('POST', '/v1/jobs', {
        schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
        target: { url: 'http://127.0.0.1:9/never' },
      });
      expect(created.status).toBe(201);
      await runtime.stats();
      expect(clients).toHaveLength(2);
      expect(new Set(sent.map((h) => h['x-amz-target']?.split('.')[0] ?? 'sqs')).size).toBe(2);
      for (const headers of sent) {
        expect(Object.keys(headers)).not.toContain('user-agent');
        expect(Object.keys(headers)).not.toContain('x-amz-user-agent');
        expect(Object.keys(headers)).not.toContain('x-amzn-trace-id');
      }
      for (const client of clients) expect(client.middlewareStack.identify().join()).not.toMatch(/logger/);
      // A burst's queue for the sockets is no news on the console: only a minute's wait is.
      for (const client of clients) {
        const { requestHandler } = (
          client as unknown as { config: { requestHandler: { httpHandlerConfigs(): object } } }
        ).config;
        expect(requestHandler.httpHandlerConfigs()).toMatchObject({
          socketAcquisitionWarningTimeout: 60_000,
        });
      }
    } finally {
      await runtime.stop();
      data.remove();
    }
  });

  it('keeps them on the event loop when asked (the benchmark’s --inline-dynamo --inline-sqs)', async () => {
    const data = tempDataDir();
    const before = listening();
    const runtime = await startTestRuntime(data.dir, { emulatorThreads: { dynamo: false, sqs: false } });
    try {
      // The API and at least one emulator (the sink of the test above is closed)
      expect(listening() - before).toBeGreaterThanOrEqual(2);
    } finally {
      await runtime.stop();
      data.remove();
    }
  });
});
