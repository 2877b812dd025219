import type { Server } from 'node:http';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { wireApi } from '../lambdas/api/wiring.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { RunOutcome } from '../lambdas/services/executor/executor-service.js';
import type { ServiceDeps } from '../lambdas/services/service-deps.js';
import { WatcherService } from '../lambdas/services/watcher/watcher-service.js';
import { createApiServer, listen } from './api-server.js';
import { awsOutboxRoute } from './aws-outbox-route.js';
import { CompactionTimer } from './compaction-timer.js';
import { dashboardRoute } from './dashboard/route.js';
import { StartupError, takeDataDir } from './data-dir.js';
import { type LocalInfrastructure, localServiceDeps, startInfrastructure } from './local-infrastructure.js';
import { LocalWatcherControl } from './local-watcher-control.js';
import { consoleLogger } from './logger.js';
import { queueName } from './queue-journal.js';
import { type RecoveryStatus, recoverInBackground } from './recovery.js';
import type { LocalRuntime, LocalRuntimeOptions } from './runtime-options.js';
import { WatchTimers } from './watch-timers.js';
import { startArchiving, startExecutors, startNotifier } from './workers.js';

export { StartupError } from './data-dir.js';
export type { LocalRuntime, LocalRuntimeOptions } from './runtime-options.js';

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
    // In the background once the API listens: it answers at once (GET /healthz says how far it got).
    const recovery = recoverInBackground(
      deps,
      watch,
      infra.journal,
      { sqs: infra.sqsDirect.sendMessageBatch, queueUrls: queueUrlsByName(infra) },
      log,
    );
    started.push({ stop: () => recovery.stop() });
    // Without a journal (a data directory from before it, or a fresh one: then it is instant) the
    // scan runs before anything can queue runs, as it always did: it would send them a second time.
    if (recovery.status.via === 'schedule scan') {
      recovery.start();
      await recovery.finished;
    }
    const outcomes: Record<string, number> = {};
    const workers = startWorkers(deps, infra, options, log, (outcome) => {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      options.onOutcome?.(outcome);
    });
    started.push(...workers.stoppable);
    const watchers = new WatchTimers(watch, infra.shards, options.watchIntervalMs ?? 60_000, log);
    const server = await serve(deps, infra, options, () => recovery.status);
    // Stopped first on shutdown: no new requests, then no new ticks, then drain the event sources.
    started.push({ stop: () => watchers.stop() }, server);
    deps.settings.publicUrl = `http://127.0.0.1:${server.port}`;
    recovery.start();
    watchers.start();
    return {
      url: `http://127.0.0.1:${server.port}`,
      port: server.port,
      deps,
      recovery: recovery.status,
      recovered: recovery.finished,
      watchers,
      watcherControl: new LocalWatcherControl(watchers),
      sweeper: workers.sweeper,
      compaction: workers.compaction,
      queues: { ...infra.queues, client: infra.sqs },
      notifications: { ...infra.notificationQueue, outbox: workers.outbox },
      awsTargets: { sqsEndpoint: infra.sqsEndpoint, outbox: infra.awsOutbox },
      stats: async () => {
        // Depths first: what reached a DLQ was counted before (the emulator runs on another thread).
        const deadLetterQueues = await deadLetterDepths(infra);
        return { outcomes: { ...outcomes }, deadLetterQueues };
      },
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
  recovery: () => RecoveryStatus,
): Promise<Stoppable & { port: number }> {
  const api = wireApi(deps, {
    apiRatePerSecond: options.limits?.apiRatePerSecond,
    apiBurst: options.limits?.apiBurst,
    recovery,
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

/** The journaled queues' URLs in this session, by name (a replay finds its queues by name). */
function queueUrlsByName(infra: LocalInfrastructure): Map<string, string> {
  const urls = [...Object.values(infra.queues.urls), infra.notificationQueue.url];
  return new Map(urls.map((url) => [queueName(url), url]));
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
