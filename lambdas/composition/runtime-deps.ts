import { randomBytes } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RoleCredentials, SdkAwsTargetCaller } from '../adapters/aws-target-caller.js';
import { DynamoConcurrencySlots } from '../adapters/dynamo-concurrency-slots.js';
import { DynamoDependencyEdges } from '../adapters/dynamo-dependency-edges.js';
import { DynamoDependencyRounds } from '../adapters/dynamo-dependency-rounds.js';
import { DynamoDueIndex } from '../adapters/dynamo-due-index.js';
import { DynamoExecutionStore } from '../adapters/dynamo-execution-store.js';
import { DynamoIdempotencyStore } from '../adapters/dynamo-idempotency-store.js';
import { DynamoJobStore } from '../adapters/dynamo-job-store.js';
import { DynamoExecutionWindowCounter, DynamoTenantJobCounter } from '../adapters/dynamo-tenant-counters.js';
import { DynamoWatermarks } from '../adapters/dynamo-watermarks.js';
import { GuardedHttpCaller } from '../adapters/guarded-http-caller.js';
import { SqsNotificationQueue } from '../adapters/sqs-notification-queue.js';
import { SqsRunQueue } from '../adapters/sqs-run-queue.js';
import { assertRolePattern, DEFAULT_TARGET_ROLE_PATTERN } from '../core/aws-arns.js';
import type { AwsTargetCaller } from '../core/ports/aws-target-caller.js';
import type { Clock } from '../core/ports/clock.js';
import type { ExecutionWindowCounter } from '../core/ports/execution-window-counter.js';
import type { HistoryArchive } from '../core/ports/history-archive.js';
import type { HttpCaller } from '../core/ports/http-caller.js';
import type { Logger } from '../core/ports/logger.js';
import type { SigningKeys } from '../core/ports/signing-keys.js';
import { parseAllowlist } from '../core/ssrf.js';
import { withExecutionListeners } from '../services/execution-listeners.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { ExecutionGate, type TenantPolicy } from '../services/tenant-policy.js';
import { DEFAULTS, type SchedulerConfig } from './config.js';

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

/** Wires the services' ports to DynamoDB, SQS and the SSRF-guarded HTTP caller — shared by the Lambda handlers and the local runtime. */
export function serviceDeps(options: {
  config: SchedulerConfig;
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  log: Logger;
  http?: HttpCaller;
  /** AWS-native targets; default: the SDK under roles assumed through STS. */
  aws?: AwsTargetCaller;
  /** The local runtime: SQS targets go to its emulator (any queue URL is accepted). */
  localTargets?: boolean;
  clock?: Clock;
  archive?: HistoryArchive;
  /** Executions per tenant and minute; default: DynamoDB items shared by every executor. */
  executionCounter?: ExecutionWindowCounter;
  /** Default: the config's `signingSecrets` (in AWS, Secrets Manager: lambda-context.ts). */
  signing?: SigningKeys;
}): ServiceDeps {
  const { config } = options;
  const policy = tenantPolicy(options);
  const deps: ServiceDeps = {
    jobs: new DynamoJobStore(options.dynamo, config.jobsTable),
    dueIndex: new DynamoDueIndex(options.dynamo, config.jobsTable),
    watermarks: new DynamoWatermarks(options.dynamo, config.jobsTable),
    slots: new DynamoConcurrencySlots(options.dynamo, config.jobsTable),
    dependencyEdges: new DynamoDependencyEdges(options.dynamo, config.jobsTable),
    dependencyRounds: new DynamoDependencyRounds(options.dynamo, config.jobsTable),
    executions: new DynamoExecutionStore(options.dynamo, config.executionsTable),
    queue: new SqsRunQueue(options.sqs, config.runQueues),
    http: options.http ?? new GuardedHttpCaller({ allowlist: policy.allowlist }),
    aws: options.aws ?? new SdkAwsTargetCaller(new RoleCredentials(new STSClient({}))),
    clock: options.clock ?? systemClock,
    random: Math.random,
    secureToken: () => randomBytes(32).toString('base64url'),
    signing: options.signing ?? signingKeysFrom(config.signingSecrets),
    settings: {
      shards: config.shards,
      lookaheadSeconds: config.lookaheadSeconds,
      queueAheadSeconds: config.queueAheadSeconds ?? DEFAULTS.queueAheadSeconds,
      hotRetentionSeconds: config.hotRetentionSeconds,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    },
    log: options.log,
    ...(options.archive ? { archive: options.archive } : {}),
    policy,
    idempotency: new DynamoIdempotencyStore(options.dynamo, config.jobsTable),
  };
  // Dependencies always listen; notifications only where a notifications queue is configured.
  return withExecutionListeners(
    deps,
    config.notificationsQueue ? new SqsNotificationQueue(options.sqs, config.notificationsQueue) : undefined,
  );
}

/** The allowlist and per-tenant limits of the config; a bad allowlist entry throws here, at startup. */
function tenantPolicy(options: {
  config: SchedulerConfig;
  dynamo: DynamoDBDocumentClient;
  executionCounter?: ExecutionWindowCounter;
  localTargets?: boolean;
}): TenantPolicy {
  const { config, dynamo } = options;
  const pattern = config.targetRolePattern ?? DEFAULT_TARGET_ROLE_PATTERN;
  assertRolePattern(pattern);
  return {
    allowlist: parseAllowlist(config.targetAllowlist),
    targetRoles: { pattern },
    ...(options.localTargets ? { localTargets: true } : {}),
    jobs: {
      counter: new DynamoTenantJobCounter(dynamo, config.jobsTable),
      max: config.maxJobsPerTenant ?? DEFAULTS.maxJobsPerTenant,
    },
    executions: new ExecutionGate(
      options.executionCounter ?? new DynamoExecutionWindowCounter(dynamo, config.jobsTable),
      config.maxExecutionsPerTenantPerMinute ?? DEFAULTS.maxExecutionsPerTenantPerMinute,
      Math.random,
    ),
  };
}
