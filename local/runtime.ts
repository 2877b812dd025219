import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createApi } from '../lambdas/api/app.js';
import { newOwnerId } from '../lambdas/core/ids.js';
import type { Clock, HttpCaller } from '../lambdas/core/ports.js';
import type { Logger, ServiceDeps } from '../lambdas/services/deps.js';
import { ExecuteService, type RunOutcome } from '../lambdas/services/execute-service.js';
import { JobsService } from '../lambdas/services/jobs-service.js';
import { WatchService } from '../lambdas/services/watch-service.js';
import { DEFAULTS } from '../lambdas/shared/config.js';
import { serviceDeps } from '../lambdas/shared/runtime-deps.js';
import type { Priority } from '../schemas/job.js';
import { createApiServer, listen } from './api-server.js';
import {
  createRunQueues,
  dynamoClient,
  type Emulator,
  sqsClient,
  startDynamo,
  startSqs,
} from './emulators.js';
import { consoleLogger } from './logger.js';
import { RunQueuePollers } from './pollers.js';
import { type RecoveryReport, recoverLostRuns } from './recovery.js';
import { ensureTables } from './tables.js';
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
  signingSecrets?: Record<string, string[]>;
  targetAllowlist?: string[];
  maxInFlight?: number;
  /** How long a shutdown waits for calls in flight. */
  shutdownGraceMs?: number;
  /** Time past a call's timeout before its lease counts as lost (default 30 s). */
  leaseMarginSeconds?: number;
  log?: Logger;
  http?: HttpCaller;
  clock?: Clock;
  onOutcome?: (outcome: RunOutcome | 'unparseable') => void;
}

export interface LocalRuntime {
  url: string;
  port: number;
  deps: ServiceDeps;
  recovery: RecoveryReport;
  watchers: WatchTimers;
  /** The run queues and their DLQs on the local SQS emulator. */
  queues: { urls: Record<Priority, string>; dlqs: Record<Priority, string>; client: SQSClient };
  /** Outcomes of the deliveries this process handled (`unparseable` ones went to the DLQ) and the DLQ depths. */
  stats(): Promise<{ outcomes: Record<string, number>; deadLetterQueues: Record<string, number> }>;
  /** Stops taking work, lets calls in flight finish (up to the grace), and closes the emulators. */
  stop(): Promise<void>;
}

/** A clear, one-line reason the runtime cannot start. */
export class StartupError extends Error {}

function checkDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    throw new StartupError(`data directory ${resolve(dataDir)} is not usable: ${(error as Error).message}`);
  }
}

/**
 * The whole scheduler in one process: dynalite and fauxqs on loopback ports, the api handler
 * behind a local HTTP server, a watcher timer per shard and pollers driving the executor.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? consoleLogger();
  checkDataDir(options.dataDir);
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    let dynamo: Emulator;
    try {
      dynamo = await startDynamo(options.dataDir);
    } catch (error) {
      throw new StartupError(
        `cannot open the DynamoDB data under ${resolve(options.dataDir)} (is another scheduler using it?): ${(error as Error).message}`,
      );
    }
    started.push(dynamo);
    const sqs = await startSqs();
    started.push(sqs);

    const tableNames = { jobs: 'scheduler-jobs', executions: 'scheduler-executions' };
    const ddb = dynamoClient(dynamo.endpoint);
    await ensureTables(ddb, tableNames);
    const sqsApi = sqsClient(sqs.endpoint);
    const queues = await createRunQueues(sqsApi);
    const shards = options.shards ?? DEFAULTS.shards;

    const deps = serviceDeps({
      config: {
        jobsTable: tableNames.jobs,
        executionsTable: tableNames.executions,
        runQueues: queues.urls,
        shards,
        lookaheadSeconds: options.lookaheadSeconds ?? DEFAULTS.lookaheadSeconds,
        hotRetentionSeconds: options.hotRetentionSeconds ?? DEFAULTS.hotRetentionSeconds,
        signingSecrets: options.signingSecrets ?? {},
        targetAllowlist: options.targetAllowlist ?? [],
      },
      dynamo: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
      sqs: sqsApi,
      log,
      ...(options.http ? { http: options.http } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    if (options.leaseMarginSeconds !== undefined)
      deps.settings.leaseMarginSeconds = options.leaseMarginSeconds;
    const jobs = new JobsService(deps);
    const watch = new WatchService(deps);
    const execute = new ExecuteService(deps, newOwnerId(deps.random));

    const recovery = await recoverLostRuns(deps, watch);

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

    const watchers = new WatchTimers(watch, shards, options.watchIntervalMs ?? 60_000, log);

    const api = createApi({
      service: jobs,
      callbacks: execute,
      health: async () => {
        await Promise.all([deps.jobs.ping(), deps.executions.ping(), deps.queue.ping()]);
      },
      log,
    });
    const server: Server = createApiServer(api, options.apiKeys);
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
      queues: { ...queues, client: sqsApi },
      stats: async () => {
        const deadLetterQueues: Record<string, number> = {};
        for (const [priority, url] of Object.entries(queues.dlqs)) {
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
