import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ArchiveCompactor } from '../lambdas/adapters/archive-compactor.js';
import { FileArchiveStore } from '../lambdas/adapters/file-archive-store.js';
import { FileEmailSender } from '../lambdas/adapters/file-email-sender.js';
import { MemoryExecutionWindowCounter } from '../lambdas/adapters/memory-execution-window-counter.js';
import { ObjectHistoryArchive } from '../lambdas/adapters/object-history-archive.js';
import { createApi } from '../lambdas/api/app.js';
import { TenantRateLimiter } from '../lambdas/api/rate-limit.js';
import { archiveStreamBatch } from '../lambdas/archiver/stream-batch.js';
import { newOwnerId } from '../lambdas/core/ids.js';
import type { Clock } from '../lambdas/core/ports/clock.js';
import type { Email } from '../lambdas/core/ports/email-sender.js';
import type { HttpCaller } from '../lambdas/core/ports/http-caller.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { WatcherControl } from '../lambdas/core/ports/watcher-control.js';
import type { ServiceDeps } from '../lambdas/services/deps.js';
import { ExecuteService, type RunOutcome } from '../lambdas/services/execute-service.js';
import { JobsService } from '../lambdas/services/jobs-service.js';
import { NotifierService } from '../lambdas/services/notifier-service.js';
import { WatchService } from '../lambdas/services/watch-service.js';
import { DEFAULTS, LOCAL_TARGET_ALLOWLIST } from '../lambdas/shared/config.js';
import { serviceDeps } from '../lambdas/shared/runtime-deps.js';
import type { Priority } from '../schemas/job.js';
import type { AllowedHosts } from './allowed-hosts.js';
import { createApiServer, listen } from './api-server.js';
import { awsOutboxRoute } from './aws-outbox-route.js';
import { CompactionTimer } from './compaction-timer.js';
import { dashboardRoute } from './dashboard/route.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';
import {
  createNotificationQueue,
  createRunQueues,
  dynamoClient,
  type Emulator,
  sqsClient,
  startDynamo,
  startSqs,
} from './emulators.js';
import { LocalAwsTargetCaller } from './local-aws-targets.js';
import { LocalWatcherControl } from './local-watcher-control.js';
import { consoleLogger } from './logger.js';
import { NotificationPollers } from './notification-pollers.js';
import { RunQueuePollers } from './pollers.js';
import { type RecoveryReport, recoverLostRuns } from './recovery.js';
import { ensureTables } from './tables.js';
import { TtlSweeper } from './ttl-sweeper.js';
import { WatchTimers } from './watch-timers.js';

export interface LocalRuntimeOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** API key -> tenant. */
  apiKeys: Map<string, string>;
  shards?: number;
  watchIntervalMs?: number;
  lookaheadSeconds?: number;
  hotRetentionSeconds?: number;
  /** How often the TTL sweeper archives expired executions (default 60 s; DynamoDB TTL in AWS). */
  sweepIntervalMs?: number;
  /** How often the archive's staging is compacted (default hourly, as the compactor's schedule in AWS). */
  compactionIntervalMs?: number;
  /** How long after a removal date ends it is compacted (default 25 h, as in AWS; tests shorten it). */
  compactionSettleMs?: number;
  signingSecrets?: Record<string, string[]>;
  /** CIDRs and host names open despite the SSRF rules (default LOCAL_TARGET_ALLOWLIST: loopback). */
  targetAllowlist?: string[];
  /** `Host` names the API server answers besides loopback ones (SCHEDULER_ALLOWED_HOSTS). */
  allowedHosts?: AllowedHosts;
  /** `lambda` targets: function name, `name:qualifier` or ARN -> loopback URL (SCHEDULER_LOCAL_FUNCTIONS). */
  localFunctions?: Map<string, string>;
  /** Port of the SQS emulator (SCHEDULER_SQS_PORT), where `sqs` targets send; default any free port. */
  sqsPort?: number;
  /** Roles AWS targets may name (SCHEDULER_TARGET_ROLE_PATTERN; checked, never assumed locally). */
  targetRolePattern?: string;
  /** Per-tenant limits (docs/security.md); absent fields take the defaults of lambdas/shared/config.ts. */
  limits?: {
    maxJobsPerTenant?: number;
    maxExecutionsPerTenantPerMinute?: number;
    apiRatePerSecond?: number;
    apiBurst?: number;
  };
  maxInFlight?: number;
  /** How long a shutdown waits for calls in flight. */
  shutdownGraceMs?: number;
  /** Time past a call's timeout before its lease counts as lost (default 30 s). */
  leaseMarginSeconds?: number;
  log?: Logger;
  http?: HttpCaller;
  clock?: Clock;
  onOutcome?: (outcome: RunOutcome | 'unparseable') => void;
  /** Sender of local notification emails (written to `<dataDir>/outbox/`); default `scheduler@localhost`. */
  emailFrom?: string;
  /** Told of each notification email written to the outbox. */
  onEmail?: (path: string, email: Email) => void;
  /** First retry delay of a failed notification delivery, doubling after (default 5 s). */
  notificationRetryBaseSeconds?: number;
  /** Delivery tries of one notification before it moves to the notifications DLQ (default 6). */
  notificationMaxDeliveries?: number;
  /**
   * Called once for each AWS SDK client the runtime builds, before its first use, so a benchmark
   * can attach middleware (call counting, consumed capacity) without the services knowing.
   */
  instrumentClient?: (client: DynamoDBClient | SQSClient, service: 'dynamodb' | 'sqs') => void;
  /**
   * A DynamoDB emulator already running (its endpoint) instead of dynalite on this event loop: the
   * benchmark runs it in a worker thread so the emulator's CPU is not charged to the scheduler's.
   */
  dynamoEndpoint?: string;
}

export interface LocalRuntime {
  url: string;
  port: number;
  deps: ServiceDeps;
  recovery: RecoveryReport;
  watchers: WatchTimers;
  /** The WatcherControl port on the timers (list, disable/enable for maintenance, add shards). */
  watcherControl: WatcherControl;
  /** Plays DynamoDB TTL + stream: `sweep()` archives what has expired now. */
  sweeper: TtlSweeper;
  /** Plays the compactor's schedule: `run()` compacts the archive's settled staging now. */
  compaction: CompactionTimer;
  /** The run queues and their DLQs on the local SQS emulator. */
  queues: { urls: Record<Priority, string>; dlqs: Record<Priority, string>; client: SQSClient };
  /** The notifications queue, its DLQ, and the directory local emails are written to. */
  notifications: { url: string; dlq: string; outbox: string };
  /** The SQS emulator's endpoint (`sqs` targets send there) and where eventbridge/stepfunctions/sns targets are written. */
  awsTargets: { sqsEndpoint: string; outbox: string };
  /** Outcomes of the deliveries this process handled (`unparseable` ones went to the DLQ) and the DLQ depths. */
  stats(): Promise<{ outcomes: Record<string, number>; deadLetterQueues: Record<string, number> }>;
  /** Stops taking work, lets calls in flight finish (up to the grace), and closes the emulators. */
  stop(): Promise<void>;
}

/**
 * Jobs keep the shard they were created on, so the shard count may grow but never shrink: the
 * jobs of a dropped shard would never be watched again. The data directory remembers the count.
 */
function settledShardCount(dataDir: string, requested: number, log: Logger): number {
  const file = join(dataDir, 'shards.json');
  let stored = 0;
  try {
    stored = Number((JSON.parse(readFileSync(file, 'utf8')) as { shards?: unknown }).shards) || 0;
  } catch {
    stored = 0;
  }
  if (requested < stored) {
    log.warn(
      `SCHEDULER_SHARDS=${requested} is below the ${stored} shards this data directory uses; keeping ${stored}`,
    );
  }
  const shards = Math.max(requested, stored);
  if (shards !== stored) writeFileSync(file, JSON.stringify({ shards }));
  return shards;
}

/** A clear, one-line reason the runtime cannot start. */
export class StartupError extends Error {}

/** The data directory, usable and taken for this process; returns how to give it back. */
function takeDataDir(dataDir: string): () => void {
  let lock: DataDirLock;
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
    lock = lockDataDir(dataDir);
  } catch (error) {
    throw new StartupError(`data directory ${resolve(dataDir)} is not usable: ${(error as Error).message}`);
  }
  if (!lock.held) {
    const by = lock.pid > 0 ? ` (pid ${lock.pid})` : '';
    throw new StartupError(
      `data directory ${resolve(dataDir)} is in use by another scheduler${by}; stop it, or set SCHEDULER_DATA_DIR to another directory`,
    );
  }
  return lock.release;
}

/**
 * The whole scheduler in one process: dynalite and fauxqs on loopback ports, the api handler
 * behind a local HTTP server, a watcher timer per shard and pollers driving the executor.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? consoleLogger();
  const releaseDataDir = takeDataDir(options.dataDir);
  // Released last, once the database is closed.
  const started: { stop(): Promise<void> }[] = [{ stop: async () => releaseDataDir() }];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    let dynamo: Emulator;
    try {
      dynamo = options.dynamoEndpoint
        ? { endpoint: options.dynamoEndpoint, stop: async () => undefined }
        : await startDynamo(options.dataDir);
    } catch (error) {
      throw new StartupError((error as Error).message);
    }
    started.push(dynamo);
    let sqs: Emulator;
    try {
      sqs = await startSqs(options.sqsPort);
    } catch (error) {
      throw new StartupError(
        `cannot start the SQS emulator on 127.0.0.1:${options.sqsPort}: ${(error as Error).message}`,
      );
    }
    started.push(sqs);

    const tableNames = { jobs: 'scheduler-jobs', executions: 'scheduler-executions' };
    const ddb = dynamoClient(dynamo.endpoint);
    options.instrumentClient?.(ddb, 'dynamodb');
    await ensureTables(ddb, tableNames);
    const sqsApi = sqsClient(sqs.endpoint);
    options.instrumentClient?.(sqsApi, 'sqs');
    const queues = await createRunQueues(sqsApi);
    const notificationQueue = await createNotificationQueue(sqsApi, options.notificationMaxDeliveries);
    const shards = settledShardCount(options.dataDir, options.shards ?? DEFAULTS.shards, log);

    // Files, not the S3 emulator: the archive must outlive a restart (docs/decisions/local-history-archive.md).
    const archiveStore = new FileArchiveStore(join(options.dataDir, 'archive'));
    const archive = new ObjectHistoryArchive(archiveStore);
    const awsOutbox = join(options.dataDir, 'aws-outbox');
    const deps = serviceDeps({
      config: {
        jobsTable: tableNames.jobs,
        executionsTable: tableNames.executions,
        runQueues: queues.urls,
        shards,
        lookaheadSeconds: options.lookaheadSeconds ?? DEFAULTS.lookaheadSeconds,
        hotRetentionSeconds: options.hotRetentionSeconds ?? DEFAULTS.hotRetentionSeconds,
        signingSecrets: options.signingSecrets ?? {},
        targetAllowlist: options.targetAllowlist ?? [...LOCAL_TARGET_ALLOWLIST],
        ...(options.targetRolePattern ? { targetRolePattern: options.targetRolePattern } : {}),
        ...options.limits,
        notificationsQueue: notificationQueue.url,
      },
      dynamo: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
      sqs: sqsApi,
      log,
      ...(options.http ? { http: options.http } : {}),
      aws: new LocalAwsTargetCaller({
        sqs: sqsApi,
        functions: options.localFunctions ?? new Map(),
        outboxDir: awsOutbox,
        ...(options.clock ? { now: options.clock.now } : {}),
      }),
      localTargets: true,
      ...(options.clock ? { clock: options.clock } : {}),
      archive,
      // One process runs every executor: a counter in memory is exact (and costs no writes).
      executionCounter: new MemoryExecutionWindowCounter(),
    });
    if (options.leaseMarginSeconds !== undefined)
      deps.settings.leaseMarginSeconds = options.leaseMarginSeconds;
    const jobs = new JobsService(deps);
    const watch = new WatchService(deps);
    const execute = new ExecuteService(deps, newOwnerId(deps.random));

    const recovery = await recoverLostRuns(deps, watch);

    // Pushed before the run pollers, so it stops after them: notifications of the last runs still go out.
    const outbox = join(options.dataDir, 'outbox');
    const notificationPollers = new NotificationPollers({
      sqs: sqsApi,
      queueUrl: notificationQueue.url,
      service: new NotifierService({
        http: deps.http,
        email: new FileEmailSender(
          outbox,
          options.emailFrom ?? 'scheduler@localhost',
          deps.clock,
          log,
          (email, path) => options.onEmail?.(path, email),
        ),
        signing: deps.signing,
        clock: deps.clock,
        log,
      }),
      log,
      loops: 2,
      ...(options.notificationRetryBaseSeconds !== undefined
        ? { retryBaseSeconds: options.notificationRetryBaseSeconds }
        : {}),
    });
    notificationPollers.start();
    started.push({ stop: () => notificationPollers.stop() });

    const outcomes: Record<string, number> = {};
    const pollers = new RunQueuePollers({
      sqs: sqsApi,
      queueUrls: queues.urls,
      service: execute,
      log,
      maxInFlight: options.maxInFlight ?? 256,
      loops: { high: 4, normal: 2, low: 1 },
      onOutcome: (outcome) => {
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        options.onOutcome?.(outcome);
      },
    });
    pollers.start();
    const graceMs = options.shutdownGraceMs ?? 10_000;
    started.push({
      stop: async () => {
        const left = await pollers.stop(graceMs);
        if (left > 0) {
          // Past the grace: interrupt the remaining calls; each hands its run back as queued for the next start.
          execute.releaseAll();
          const still = await pollers.stop(2000);
          log.warn(`${left} executions were still running at shutdown and were handed back as queued`, {
            unreleased: still,
          });
        }
      },
    });

    const sweeper = new TtlSweeper({
      client: ddb,
      table: tableNames.executions,
      archiver: (records) => archiveStreamBatch(archive, records, log),
      clock: deps.clock,
      intervalMs: options.sweepIntervalMs ?? 60_000,
      log,
      // Swept but not yet archived survives a crash (DynamoDB's stream keeps records 24 h in AWS).
      journalPath: join(options.dataDir, 'ttl-sweeper-journal.json'),
    });
    sweeper.start();
    started.push({ stop: () => sweeper.stop() });

    const compaction = new CompactionTimer(
      new ArchiveCompactor(archiveStore, {
        clock: deps.clock,
        log,
        ...(options.compactionSettleMs === undefined ? {} : { settleMs: options.compactionSettleMs }),
      }),
      options.compactionIntervalMs ?? 3_600_000,
      log,
    );
    compaction.start();
    started.push({ stop: () => compaction.stop() });

    const watchers = new WatchTimers(watch, shards, options.watchIntervalMs ?? 60_000, log);

    const api = createApi({
      service: jobs,
      callbacks: execute,
      health: async () => {
        await Promise.all([deps.jobs.ping(), deps.executions.ping(), deps.queue.ping()]);
      },
      log,
      ...(deps.idempotency ? { idempotency: { store: deps.idempotency, clock: deps.clock } } : {}),
      rateLimit: new TenantRateLimiter({
        ratePerSecond: options.limits?.apiRatePerSecond ?? DEFAULTS.apiRatePerSecond,
        burst: options.limits?.apiBurst ?? DEFAULTS.apiBurst,
      }),
    });
    const dashboard = dashboardRoute();
    const outboxRoute = awsOutboxRoute(awsOutbox, options.apiKeys);
    const server: Server = createApiServer(
      api,
      options.apiKeys,
      (req, res) => dashboard(req, res) || outboxRoute(req, res),
      options.allowedHosts,
    );
    let port: number;
    try {
      port = await listen(server, options.port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new StartupError(
        code === 'EADDRINUSE'
          ? `port ${options.port} on 127.0.0.1 is already in use; set PORT to a free port`
          : `cannot listen on 127.0.0.1:${options.port}: ${(error as Error).message}`,
      );
    }
    // Stopped first on shutdown: no new requests, then no new ticks, then drain the pollers.
    started.push({ stop: () => watchers.stop() });
    started.push({
      stop: () =>
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
    });
    deps.settings.publicUrl = `http://127.0.0.1:${port}`;
    watchers.start();

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      deps,
      recovery,
      watchers,
      watcherControl: new LocalWatcherControl(watchers),
      sweeper,
      compaction,
      queues: { ...queues, client: sqsApi },
      notifications: { ...notificationQueue, outbox },
      awsTargets: { sqsEndpoint: sqs.endpoint, outbox: awsOutbox },
      stats: async () => {
        const deadLetterQueues: Record<string, number> = {};
        const dlqs = { ...queues.dlqs, notifications: notificationQueue.dlq };
        for (const [priority, url] of Object.entries(dlqs)) {
          const out = await sqsApi.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
          );
          deadLetterQueues[priority] = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
        }
        return { outcomes: { ...outcomes }, deadLetterQueues };
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
