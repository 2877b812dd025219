import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FileArchiveStore } from '../lambdas/adapters/file-archive-store.js';
import { MemoryExecutionWindowCounter } from '../lambdas/adapters/memory-execution-window-counter.js';
import { ObjectHistoryArchive } from '../lambdas/adapters/object-history-archive.js';
import { DEFAULTS, LOCAL_TARGET_ALLOWLIST } from '../lambdas/composition/config.js';
import { serviceDeps } from '../lambdas/composition/runtime-deps.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { ServiceDeps } from '../lambdas/services/service-deps.js';
import type { Priority } from '../schemas/job.js';
import { StartupError, settledShardCount } from './data-dir.js';
import { deliveringEarly, LOCAL_HAND_OVER_AHEAD_SECONDS } from './early-delivery.js';
import {
  createNotificationQueue,
  createRunQueues,
  dynamoClient,
  type Emulator,
  PRIORITIES,
  type SqsEmulator,
  sqsClient,
  startDynamo,
  startSqs,
} from './emulators.js';
import { LocalAwsTargetCaller } from './local-aws-targets.js';
import { QueueJournal } from './queue-journal.js';
import { LocalRecentWrites } from './recent-writes.js';
import type { LocalRuntimeOptions } from './runtime-options.js';
import { SqsDirect } from './sqs-direct.js';
import { ensureTables } from './tables.js';

/** What the emulators and the data directory give the scheduler: clients, queues, the archive. */
export interface LocalInfrastructure {
  ddb: DynamoDBClient;
  sqs: SQSClient;
  /** Requests to the SQS emulator past the SDK, for bulk work (the replay); journaled like `sqs`. */
  sqsDirect: SqsDirect;
  sqsEndpoint: string;
  tables: { jobs: string; executions: string };
  queues: { urls: Record<Priority, string>; dlqs: Record<Priority, string> };
  notificationQueue: { url: string; dlq: string };
  shards: number;
  archiveStore: FileArchiveStore;
  archive: ObjectHistoryArchive;
  awsOutbox: string;
  /** The journal of the scheduler's own queues (the emulator holds them in memory only). */
  journal: QueueJournal;
}

/** The queues whose messages the journal keeps: the run queues and the notifications queue (not the DLQs: see the decision). */
const JOURNALED_QUEUES: ReadonlySet<string> = new Set([
  ...PRIORITIES.map((p) => `run-${p}`),
  'notifications',
]);

/** Starts dynalite (unless one runs already) and fauxqs; each goes on `started` to be stopped. */
export async function startInfrastructure(
  options: LocalRuntimeOptions,
  log: Logger,
  started: { stop(): Promise<void> }[],
): Promise<LocalInfrastructure> {
  // Off the scheduler's event loop unless asked (the runtime then uses both cores).
  const threads = { dynamo: true, sqs: true, ...options.emulatorThreads };
  let dynamo: Emulator;
  try {
    dynamo = options.dynamoEndpoint
      ? { endpoint: options.dynamoEndpoint, stop: async () => undefined }
      : await startDynamo(options.dataDir, threads.dynamo ? { thread: { log } } : {});
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  started.push(dynamo);
  let sqsEmulator: SqsEmulator;
  try {
    sqsEmulator = await startSqs(options.sqsPort, threads.sqs ? { log } : undefined);
  } catch (error) {
    throw new StartupError(
      `cannot start the SQS emulator on 127.0.0.1:${options.sqsPort}: ${(error as Error).message}`,
    );
  }
  started.push(sqsEmulator);
  const tables = { jobs: 'scheduler-jobs', executions: 'scheduler-executions' };
  const ddb = dynamoClient(dynamo.endpoint);
  options.instrumentClient?.(ddb, 'dynamodb');
  await ensureTables(ddb, tables);
  const sqs = sqsClient(sqsEmulator.endpoint);
  const journal = new QueueJournal({
    dataDir: options.dataDir,
    queues: JOURNALED_QUEUES,
    now: options.clock?.now ?? Date.now,
    startedAt: Date.now(),
  });
  journal.attach(sqs);
  const sqsDirect = new SqsDirect(sqsEmulator.post);
  journal.attachDirect(sqsDirect);
  // Closed after everything that sends or deletes has stopped, before the emulator.
  started.push({ stop: async () => journal.close() });
  options.instrumentClient?.(sqs, 'sqs');
  // Files, not the S3 emulator: the archive must outlive a restart (docs/decisions/local-history-archive.md).
  const archiveStore = new FileArchiveStore(join(options.dataDir, 'archive'));
  return {
    ddb,
    sqs,
    sqsDirect,
    sqsEndpoint: sqsEmulator.endpoint,
    tables,
    queues: await createRunQueues(sqs),
    notificationQueue: await createNotificationQueue(sqs, options.notificationMaxDeliveries),
    shards: settledShardCount(options.dataDir, options.shards ?? DEFAULTS.shards, log),
    archiveStore,
    archive: new ObjectHistoryArchive(archiveStore),
    awsOutbox: join(options.dataDir, 'aws-outbox'),
    journal,
  };
}

/** The services' dependencies on the emulators: the same wiring as in AWS (runtime-deps.ts), local adapters where AWS has its own. */
export function localServiceDeps(
  options: LocalRuntimeOptions,
  infra: LocalInfrastructure,
  log: Logger,
): ServiceDeps {
  const deps = serviceDeps({
    config: {
      jobsTable: infra.tables.jobs,
      executionsTable: infra.tables.executions,
      runQueues: infra.queues.urls,
      shards: infra.shards,
      lookaheadSeconds: options.lookaheadSeconds ?? DEFAULTS.lookaheadSeconds,
      queueAheadSeconds: options.queueAheadSeconds ?? DEFAULTS.queueAheadSeconds,
      hotRetentionSeconds: options.hotRetentionSeconds ?? DEFAULTS.hotRetentionSeconds,
      signingSecrets: options.signingSecrets ?? {},
      targetAllowlist: options.targetAllowlist ?? [...LOCAL_TARGET_ALLOWLIST],
      ...(options.targetRolePattern ? { targetRolePattern: options.targetRolePattern } : {}),
      ...options.limits,
      notificationsQueue: infra.notificationQueue.url,
    },
    dynamo: DynamoDBDocumentClient.from(infra.ddb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: infra.sqs,
    log,
    ...(options.http ? { http: options.http } : {}),
    aws: new LocalAwsTargetCaller({
      sqs: infra.sqs,
      functions: options.localFunctions ?? new Map(),
      outboxDir: infra.awsOutbox,
      ...(options.clock ? { now: options.clock.now } : {}),
    }),
    localTargets: true,
    ...(options.clock ? { clock: options.clock } : {}),
    archive: infra.archive,
    // One process runs every executor: a counter in memory is exact (and costs no writes).
    executionCounter: new MemoryExecutionWindowCounter(),
  });
  if (options.leaseMarginSeconds !== undefined) deps.settings.leaseMarginSeconds = options.leaseMarginSeconds;
  const lead = options.handOverAheadSeconds ?? LOCAL_HAND_OVER_AHEAD_SECONDS;
  if (lead > 0) {
    // Runs handed over early wait for their time; a change of their job's status or plan here wakes them.
    const writes = new LocalRecentWrites(() => deps.clock.now());
    deps.jobs = writes.jobStore(deps.jobs);
    deps.recentWrites = writes;
    deps.queue = deliveringEarly(deps.queue, lead);
  }
  return deps;
}
