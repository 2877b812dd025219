import type { Server } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { wireApi } from '../lambdas/composition/api.js';
import type { Clock } from '../lambdas/core/ports/clock.js';
import type { Email } from '../lambdas/core/ports/email-sender.js';
import type { HttpCaller } from '../lambdas/core/ports/http-caller.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { WatcherControl } from '../lambdas/core/ports/watcher-control.js';
import type { RunOutcome } from '../lambdas/services/executor/executor-service.js';
import type { ServiceDeps } from '../lambdas/services/service-deps.js';
import { WatcherService } from '../lambdas/services/watcher/watcher-service.js';
import type { Priority } from '../schemas/job.js';
import type { AllowedHosts } from './allowed-hosts.js';
import { createApiServer, listen } from './api-server.js';
import { awsOutboxRoute } from './aws-outbox-route.js';
import { CompactionTimer } from './compaction-timer.js';
import { dashboardRoute } from './dashboard/route.js';
import { StartupError, takeDataDir } from './data-dir.js';
import { type LocalInfrastructure, localServiceDeps, startInfrastructure } from './local-infrastructure.js';
import { LocalWatcherControl } from './local-watcher-control.js';
import { consoleLogger } from './logger.js';
import { type RecoveryReport, recoverLostRuns } from './recovery.js';
import type { TtlSweeper } from './ttl-sweeper.js';
import { WatchTimers } from './watch-timers.js';
import { startArchiving, startExecutors, startNotifier } from './workers.js';

export { StartupError } from './data-dir.js';

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
  /** Per-tenant limits (docs/security.md); absent fields take the defaults of lambdas/composition/config.ts. */
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

/** What is started gets stopped, in the reverse order. */
type Stoppable = { stop(): Promise<void> };

/**
 * The whole scheduler in one process: dynalite and fauxqs on loopback ports, the api handler
 * behind a local HTTP server, a watcher timer per shard and event sources driving the executor
 * and the notifier, the TTL sweeper and the compaction timer playing their AWS parts.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? consoleLogger();
  const releaseDataDir = takeDataDir(options.dataDir);
  // Released last, once the database is closed.
  const started: Stoppable[] = [{ stop: async () => releaseDataDir() }];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    const infra = await startInfrastructure(options, log, started);
    const deps = localServiceDeps(options, infra, log);
    const watch = new WatcherService(deps);
    const recovery = await recoverLostRuns(deps, watch);
    const outcomes: Record<string, number> = {};
    const workers = startWorkers(deps, infra, options, log, (outcome) => {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      options.onOutcome?.(outcome);
    });
    started.push(...workers.stoppable);
    const watchers = new WatchTimers(watch, infra.shards, options.watchIntervalMs ?? 60_000, log);
    const server = await serve(deps, infra, options);
    // Stopped first on shutdown: no new requests, then no new ticks, then drain the event sources.
    started.push({ stop: () => watchers.stop() }, server);
    deps.settings.publicUrl = `http://127.0.0.1:${server.port}`;
    watchers.start();
    return {
      url: `http://127.0.0.1:${server.port}`,
      port: server.port,
      deps,
      recovery,
      watchers,
      watcherControl: new LocalWatcherControl(watchers),
      sweeper: workers.sweeper,
      compaction: workers.compaction,
      queues: { ...infra.queues, client: infra.sqs },
      notifications: { ...infra.notificationQueue, outbox: workers.outbox },
      awsTargets: { sqsEndpoint: infra.sqsEndpoint, outbox: infra.awsOutbox },
      stats: async () => ({ outcomes: { ...outcomes }, deadLetterQueues: await deadLetterDepths(infra) }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The functions' local stand-ins, in the order they start (and stop in reverse). */
function startWorkers(
  deps: ServiceDeps,
  infra: LocalInfrastructure,
  options: LocalRuntimeOptions,
  log: Logger,
  onOutcome: (outcome: RunOutcome | 'unparseable') => void,
) {
  // Before the executors, so it stops after them: notifications of the last runs still go out.
  const notifier = startNotifier(deps, infra, options, log);
  const executors = startExecutors(deps, infra, options, log, onOutcome);
  const { sweeper, compactor } = startArchiving(deps, infra, options, log);
  sweeper.start();
  const compaction = new CompactionTimer(compactor, options.compactionIntervalMs ?? 3_600_000, log);
  compaction.start();
  const stoppable: Stoppable[] = [notifier, executors, sweeper, compaction];
  return { stoppable, sweeper, compaction, outbox: notifier.outbox };
}

/** The API, the dashboard and the AWS targets' outbox on one loopback server. */
async function serve(
  deps: ServiceDeps,
  infra: LocalInfrastructure,
  options: LocalRuntimeOptions,
): Promise<Stoppable & { port: number }> {
  const api = wireApi(deps, {
    apiRatePerSecond: options.limits?.apiRatePerSecond,
    apiBurst: options.limits?.apiBurst,
  });
  const dashboard = dashboardRoute();
  const outboxRoute = awsOutboxRoute(infra.awsOutbox, options.apiKeys);
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
  return {
    port,
    stop: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** Messages waiting in each dead-letter queue. */
async function deadLetterDepths(infra: LocalInfrastructure): Promise<Record<string, number>> {
  const depths: Record<string, number> = {};
  const dlqs = { ...infra.queues.dlqs, notifications: infra.notificationQueue.dlq };
  for (const [name, url] of Object.entries(dlqs)) {
    const out = await infra.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    depths[name] = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
  return depths;
}
