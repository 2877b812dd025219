/**
 * Smoke test of a running scheduler, deployed or local:
 *
 *   npm run smoke -- --endpoint <api url> [--region r] [--api-key k] [--target-url u]
 *                    [--listen] [--signing-secret s] [--timeout-seconds n]
 *
 * With `--api-key` (or SCHEDULER_API_KEY) it calls a local runtime; without, it signs every
 * request with SigV4 and the caller's AWS credentials (region from the execute-api host,
 * `--region` or AWS_REGION). It creates a once job a few seconds ahead and a job it triggers,
 * both calling the target (default: the deployment's own `/healthz`), waits for both runs, reads
 * them back from the history API, checks the signature header when it can see the calls
 * (`--listen`: a receiver on this machine becomes the target, so only for a local runtime or a
 * deployment whose allowlist admits it; `--signing-secret` verifies the signature too), and
 * cancels what it created. One line per step with its time, a verdict, exit code 1 on failure.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { flagsOf } from '../cli/args.js';
import { type Execution, SchedulerApiError, SchedulerClient, sigV4Auth } from '../client/index.js';
import { verifySignature } from '../lambdas/core/signing.js';

export interface SmokeOptions {
  endpoint: string;
  apiKey?: string;
  region?: string;
  targetUrl?: string;
  /** Start a receiver on 127.0.0.1 and make it the target, so the calls can be inspected. */
  listen?: boolean;
  /** Verify `X-Scheduler-Signature` with it (needs `listen`). */
  signingSecret?: string;
  /** How long to wait for both runs. @default 90 */
  timeoutSeconds?: number;
  /** Seconds ahead of now the once job is due. @default 3 */
  leadSeconds?: number;
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

const USAGE =
  'usage: npm run smoke -- --endpoint <url> [--region r] [--api-key k] [--target-url u] [--listen] ' +
  '[--signing-secret s] [--timeout-seconds n]';
const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'dead', 'skipped']);

class StepFailed extends Error {}

/** A receiver on loopback that records each call by its execution id. */
async function startReceiver(): Promise<{
  url: string;
  calls: Map<string, Received>;
  close(): Promise<void>;
}> {
  const calls = new Map<string, Received>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const id = String(request.headers['x-scheduler-execution-id'] ?? '');
      calls.set(id, {
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/smoke`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type CleanupClient = Pick<SchedulerClient, 'getJob' | 'cancelJob'>;

/**
 * Cancels the jobs the smoke test created. A once job that ran is `completed` already, and it
 * may become so between the read and the cancel (the API then answers 409): a job that has
 * ended either way counts as cleaned up; any other failure still fails the step.
 */
export async function cancelCreated(
  client: CleanupClient,
  ids: readonly string[],
): Promise<Array<{ id: string; status: string }>> {
  return Promise.all(
    ids.map(async (id) => {
      const current = await client.getJob(id);
      if (current.status !== 'active' && current.status !== 'paused') return current;
      try {
        return await client.cancelJob(id);
      } catch (error) {
        if (!(error instanceof SchedulerApiError) || error.status !== 409) throw error;
        const after = await client.getJob(id);
        if (after.status === 'active' || after.status === 'paused') throw error;
        return after;
      }
    }),
  );
}

/** Runs the smoke test, printing through `print`; resolves to the process exit code. */
export async function runSmoke(
  options: SmokeOptions,
  print: (line: string) => void = console.log,
): Promise<number> {
  const started = Date.now();
  const client = new SchedulerClient({
    endpoint: options.endpoint,
    ...(options.apiKey
      ? { apiKey: options.apiKey }
      : { auth: sigV4Auth(options.region ? { region: options.region } : {}) }),
    timeoutMs: 15_000,
  });
  const receiver = options.listen ? await startReceiver() : undefined;
  const target: { url: string; method: 'GET' | 'POST'; body?: string } = receiver
    ? { url: receiver.url, method: 'POST', body: '{"smoke":true}' }
    : { url: options.targetUrl ?? `${client.endpoint}/healthz`, method: 'GET' };
  const tag = `smoke-${randomUUID().slice(0, 8)}`;
  const created: string[] = [];
  const results: boolean[] = [];

  async function step<T>(name: string, work: () => Promise<{ value: T; detail: string }>): Promise<T> {
    const at = Date.now();
    try {
      const { value, detail } = await work();
      print(`✓ ${name.padEnd(34)} ${String(Date.now() - at).padStart(6)} ms  ${detail}`);
      results.push(true);
      return value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      print(`✗ ${name.padEnd(34)} ${String(Date.now() - at).padStart(6)} ms  ${message}`);
      results.push(false);
      throw new StepFailed(message);
    }
  }

  const waitForRun = async (jobId: string): Promise<Execution> => {
    const deadline = Date.now() + (options.timeoutSeconds ?? 90) * 1000;
    while (Date.now() < deadline) {
      const page = await client.listExecutions(jobId, { limit: 5 });
      const done = page.items.find((execution) => FINAL.has(execution.status));
      if (done) {
        if (done.status !== 'succeeded') {
          const error = done.attempts.at(-1)?.error ?? `status ${done.attempts.at(-1)?.statusCode ?? '-'}`;
          throw new Error(`run ${done.executionId} ended ${done.status}: ${error}`);
        }
        return done;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`no finished run of ${jobId} within ${options.timeoutSeconds ?? 90} s`);
  };

  try {
    await step('health', async () => {
      const health = await client.health();
      return { value: health, detail: `${client.endpoint}/healthz answers ${health.status}` };
    });
    const onceAt = new Date(Date.now() + (options.leadSeconds ?? 3) * 1000).toISOString();
    const job = {
      target,
      retry: { maxAttempts: 1 },
      timeoutSeconds: 10,
    };
    const once = await step('create once job', async () => {
      const value = await client.createJob({
        ...job,
        name: `${tag}-once`,
        schedule: { type: 'once', at: onceAt },
      });
      created.push(value.id);
      return { value, detail: `${value.id} due ${onceAt}` };
    });
    const triggered = await step('create job and trigger it', async () => {
      const value = await client.createJob({
        ...job,
        name: `${tag}-trigger`,
        schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
      });
      created.push(value.id);
      const { executionId } = await client.triggerJob(value.id);
      return { value: { jobId: value.id, executionId }, detail: executionId };
    });
    const runs = await step('wait for both runs', async () => {
      const [first, second] = await Promise.all([waitForRun(once.id), waitForRun(triggered.jobId)]);
      const lateness = [first, second].map((run) => `${run.lateByMs ?? '-'} ms late`).join(', ');
      return { value: [first, second], detail: `both succeeded (${lateness})` };
    });
    await step('read runs back from history', async () => {
      const read = await Promise.all(runs.map((run) => client.getExecution(run.executionId)));
      for (const execution of read) {
        const attempt = execution.attempts[0];
        if (execution.status !== 'succeeded' || !attempt?.statusCode || attempt.statusCode >= 300) {
          throw new Error(
            `${execution.executionId}: ${execution.status}, attempt ${JSON.stringify(attempt)}`,
          );
        }
      }
      return {
        value: read,
        detail: read.map((e) => `${e.executionId} HTTP ${e.attempts[0]?.statusCode}`).join('; '),
      };
    });
    if (receiver) {
      await step('signature header', async () => {
        for (const run of runs) {
          const call = receiver.calls.get(run.executionId);
          const header = call?.headers['x-scheduler-signature'];
          if (!call || typeof header !== 'string')
            throw new Error(`no signed call arrived for ${run.executionId}`);
          if (
            options.signingSecret &&
            !verifySignature(header, call.body, [options.signingSecret], Math.floor(call.at / 1000))
          ) {
            throw new Error(`the signature of ${run.executionId} does not verify with the given secret`);
          }
        }
        return {
          value: undefined,
          detail: options.signingSecret
            ? 'present and verified'
            : 'present (not verified: no --signing-secret)',
        };
      });
    } else {
      print(
        `- ${'signature header'.padEnd(34)}      - ms  skipped: the target's calls are not visible here (--listen)`,
      );
    }
  } catch (error) {
    if (!(error instanceof StepFailed)) {
      print(
        `✗ ${'unexpected error'.padEnd(34)}      - ms  ${error instanceof Error ? error.message : String(error)}`,
      );
      results.push(false);
    }
  } finally {
    if (created.length > 0) {
      await step('cancel what it created', async () => {
        const ended = await cancelCreated(client, created);
        return { value: ended, detail: ended.map((j) => `${j.id} ${j.status}`).join(', ') };
      }).catch(() => undefined);
    }
    await receiver?.close();
  }
  const passed = results.every(Boolean);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  print(
    `${passed ? 'PASS' : 'FAIL'} smoke test of ${client.endpoint}: ${results.filter(Boolean).length}/${results.length} steps in ${seconds} s`,
  );
  return passed ? 0 : 1;
}

export function smokeOptionsFrom(argv: string[], env: NodeJS.ProcessEnv): SmokeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...flagsOf(
        'string',
        'endpoint',
        'region',
        'api-key',
        'target-url',
        'signing-secret',
        'timeout-seconds',
      ),
      listen: { type: 'boolean', default: false },
    },
  });
  const endpoint = values.endpoint ?? env.SCHEDULER_ENDPOINT;
  if (!endpoint) throw new Error(`--endpoint is required (${USAGE})`);
  const apiKey = values['api-key'] ?? env.SCHEDULER_API_KEY;
  const timeout = values['timeout-seconds'] === undefined ? undefined : Number(values['timeout-seconds']);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) {
    throw new Error(`--timeout-seconds must be a positive integer (${USAGE})`);
  }
  if (values['signing-secret'] && !values.listen) throw new Error('--signing-secret needs --listen');
  if (values.listen && values['target-url']) throw new Error('--listen and --target-url exclude each other');
  return {
    endpoint,
    ...(apiKey ? { apiKey } : {}),
    ...(values.region ? { region: values.region } : {}),
    ...(values['target-url'] ? { targetUrl: values['target-url'] } : {}),
    ...(values.listen ? { listen: true } : {}),
    ...(values['signing-secret'] ? { signingSecret: values['signing-secret'] } : {}),
    ...(timeout ? { timeoutSeconds: timeout } : {}),
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  let options: SmokeOptions;
  try {
    options = smokeOptionsFrom(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  runSmoke(options).then((code) => {
    process.exitCode = code;
  });
}
