import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { Level } from 'level';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { Priority } from '../schemas/job.js';
import { startDynamoThread, startSqsThread } from './emulator-threads.js';
import { injectAll, type SqsPost } from './sqs-direct.js';

/** Emulators accept any credentials; these keep the SDK from looking for real ones. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

/** fauxqs, which also takes requests in bulk without a socket (for SqsDirect). */
export interface SqsEmulator extends Emulator {
  post: SqsPost;
}

/** How long the database may take to open before the start gives up (it must never hang). */
const OPEN_TIMEOUT_MS = 15_000;

/**
 * Opens and closes the LevelDB database once before dynalite does: dynalite opens it lazily and
 * an open that fails (another process holds its lock, a corrupt or unreadable store) surfaces
 * later as an uncaught exception in a request. Throws an Error with a one-line message instead.
 */
async function checkDatabaseOpens(path: string): Promise<void> {
  const db = new Level(path);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`the database under ${path} did not open within ${OPEN_TIMEOUT_MS / 1000} s`));
    }, OPEN_TIMEOUT_MS);
  });
  try {
    await Promise.race([db.open(), timeout]);
  } catch (error) {
    if (timedOut) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why =
      cause?.code === 'LEVEL_LOCKED'
        ? 'is locked by another process (is another scheduler using this data directory?)'
        : `cannot be opened: ${(cause?.message ?? (error as Error).message).split('\n')[0]}`;
    throw new Error(`the database under ${path} ${why}`);
  } finally {
    clearTimeout(timer);
    // A close waits for a pending open: after a timeout, do not wait for it.
    const closed = db.close().catch(() => undefined);
    if (!timedOut) await closed;
  }
}

/**
 * dynalite (pure-Node DynamoDB on LevelDB) persisting under `<dataDir>/dynamodb`, on a loopback
 * port, on this event loop or (`thread`) in a worker thread.
 */
export async function startDynamo(
  dataDir: string,
  options: { createTableMs?: number; thread?: { log: Logger } } = {},
): Promise<Emulator> {
  const path = resolve(dataDir, 'dynamodb');
  mkdirSync(path, { recursive: true });
  await checkDatabaseOpens(path);
  if (options.thread) return startDynamoThread(path, options.thread.log, options.createTableMs);
  const server = dynalite({
    path,
    createTableMs: options.createTableMs ?? 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/**
 * fauxqs (SQS in memory) on a loopback port, on this event loop or (`thread`) in a worker thread;
 * `post` hands it requests in bulk without a socket (local/sqs-direct.ts).
 * Its messages do not survive a restart: the runtime journals its own queues (local/queue-journal.ts).
 */
export async function startSqs(port = 0, thread?: { log: Logger }): Promise<SqsEmulator> {
  if (thread) return startSqsThread(port, thread.log);
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port, host: '127.0.0.1' });
  return { endpoint, stop: () => app.close(), post: (requests) => injectAll(app, requests) };
}

/**
 * Signs nothing: the emulators accept any credentials and check only that a SigV4 header is there,
 * so the runtime's clients spare the per-request SHA-256 of the body and the HMAC chain (a tenth
 * of the scheduler's event loop in a profile of SDK calls to the emulators).
 */
export const LOOPBACK_SIGNER = {
  sign: async <R extends { headers: Record<string, string> }>(request: R): Promise<R> => {
    request.headers.authorization =
      'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/local/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';
    request.headers['x-amz-date'] = '20260101T000000Z';
    return request;
  },
};

/**
 * Steps of the SDK's per-call pipeline that serve AWS, not an emulator on loopback: the user agent
 * (built and escaped per call), the log filter (it walks every input and output for sensitive
 * fields even with no logger) and the Lambda trace header. Dropping them spares about a tenth of
 * the event loop's CPU per call (docs/decisions/local-threads.md); retries, endpoint and serde stay.
 */
const NOT_FOR_LOOPBACK = ['getUserAgentMiddleware', 'loggerMiddleware', 'recursionDetectionMiddleware'];

function lean<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  for (const name of NOT_FOR_LOOPBACK) client.middlewareStack.remove(name);
  return client;
}

/**
 * The loopback clients' HTTP handler: the SDK's own, which warns on the console when a request
 * waits 3 s for one of its 50 sockets. An emulator is one thread, so a burst of runs (all handed
 * over ahead, all claiming and writing near their second) queues its requests by design: only a
 * minute's wait is news.
 */
const LOOPBACK_HANDLER = { socketAcquisitionWarningTimeout: 60_000 };

/** The runtime's DynamoDB client on the emulator (loopback: not signed, lean). */
export function dynamoClient(endpoint: string): DynamoDBClient {
  return lean(
    new DynamoDBClient({
      ...LOCAL_AWS,
      endpoint,
      maxAttempts: 3,
      signer: LOOPBACK_SIGNER,
      requestHandler: LOOPBACK_HANDLER,
    }),
  );
}

/** The runtime's SQS client on the emulator (loopback: not signed, no MD5 of every body sent and received, lean). */
export function sqsClient(endpoint: string): SQSClient {
  return lean(
    new SQSClient({
      ...LOCAL_AWS,
      endpoint,
      maxAttempts: 3,
      signer: LOOPBACK_SIGNER,
      md5: false,
      requestHandler: LOOPBACK_HANDLER,
    }),
  );
}

export const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low'];

/** Receives of one notification before it moves to the notifications DLQ (its delivery tries). */
export const NOTIFICATION_MAX_RECEIVES = 6;

/** The notifications queue and its DLQ; a delivery that failed every try lands in the DLQ, counted. */
export async function createNotificationQueue(
  sqs: SQSClient,
  maxReceives = NOTIFICATION_MAX_RECEIVES,
): Promise<{ url: string; dlq: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'notifications-dlq' }));
  const dlqArn = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'notifications',
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
          maxReceiveCount: maxReceives,
        }),
      },
    }),
  );
  return { url: queue.QueueUrl!, dlq: dlq.QueueUrl! };
}

/** Run queues per priority, each with a DLQ after five receives (like the CDK stack). */
export async function createRunQueues(
  sqs: SQSClient,
): Promise<{ urls: Record<Priority, string>; dlqs: Record<Priority, string> }> {
  const urls = {} as Record<Priority, string>;
  const dlqs = {} as Record<Priority, string>;
  for (const priority of PRIORITIES) {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `run-${priority}-dlq` }));
    const dlqArn = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: `run-${priority}`,
        Attributes: {
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
            maxReceiveCount: 5,
          }),
        },
      }),
    );
    urls[priority] = queue.QueueUrl!;
    dlqs[priority] = dlq.QueueUrl!;
  }
  return { urls, dlqs };
}
