import { randomBytes } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoExecutionStore } from '../adapters/dynamo-execution-store.js';
import { DynamoJobStore } from '../adapters/dynamo-job-store.js';
import { FetchHttpCaller } from '../adapters/fetch-http-caller.js';
import { SqsRunQueue } from '../adapters/sqs-run-queue.js';
import type { Clock, HttpCaller, SigningKeys } from '../core/ports.js';
import type { Logger, ServiceDeps } from '../services/deps.js';
import type { SchedulerConfig } from './config.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** Secrets per tenant; `*` applies to tenants without their own. */
export function signingKeysFrom(secrets: Record<string, string[]>): SigningKeys {
  return { secretsFor: (tenant) => secrets[tenant] ?? secrets['*'] ?? [] };
}

/** Wires the services' ports to DynamoDB, SQS and fetch — shared by the Lambda handlers and the local runtime. */
export function serviceDeps(options: {
  config: SchedulerConfig;
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  log: Logger;
  http?: HttpCaller;
  clock?: Clock;
}): ServiceDeps {
  const { config } = options;
  return {
    jobs: new DynamoJobStore(options.dynamo, config.jobsTable),
    executions: new DynamoExecutionStore(options.dynamo, config.executionsTable),
    queue: new SqsRunQueue(options.sqs, config.runQueues),
    http: options.http ?? new FetchHttpCaller(),
    clock: options.clock ?? systemClock,
    random: Math.random,
    secureToken: () => randomBytes(32).toString('base64url'),
    signing: signingKeysFrom(config.signingSecrets),
    settings: {
      shards: config.shards,
      lookaheadSeconds: config.lookaheadSeconds,
      hotRetentionSeconds: config.hotRetentionSeconds,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    },
    log: options.log,
  };
}
