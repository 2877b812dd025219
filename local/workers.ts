import { join } from 'node:path';
import { ArchiveCompactor } from '../lambdas/adapters/archive-compactor.js';
import { FileEmailSender } from '../lambdas/adapters/file-email-sender.js';
import { redeliverLater } from '../lambdas/adapters/sqs-visibility.js';
import { archiveStreamBatch } from '../lambdas/archiver/stream-batch.js';
import { UnparseableMessage } from '../lambdas/batch/partial-batch.js';
import { newOwnerId } from '../lambdas/core/ids.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import { processRunBatch } from '../lambdas/executor/batch.js';
import { processNotificationBatch } from '../lambdas/notifier/batch.js';
import { ExecutorService, type RunOutcome } from '../lambdas/services/executor/executor-service.js';
import { NotifierService } from '../lambdas/services/notifications/notifier-service.js';
import type { ServiceDeps } from '../lambdas/services/service-deps.js';
import { PRIORITIES } from './emulators.js';
import type { LocalInfrastructure } from './local-infrastructure.js';
import type { LocalRuntimeOptions } from './runtime-options.js';
import { InvocationLimit, SqsEventSource } from './sqs-event-source.js';
import { TtlSweeper } from './ttl-sweeper.js';

/** Long-poll loops per run queue: more for `high`, as the executors' concurrency in AWS. */
const RUN_LOOPS = { high: 4, normal: 2, low: 1 } as const;
/**
 * A failed run comes back in 5 s; one that does not parse at once, round and round until the
 * redrive policy moves it to the DLQ (it will not get better). AWS: RUN_REDELIVERY's backoff.
 */
const LOCAL_RUN_REDELIVERY_SECONDS = 5;

/** Plays the executor function: its event source on each run queue, one pool of invocations. */
export function startExecutors(
  deps: ServiceDeps,
  infra: LocalInfrastructure,
  options: LocalRuntimeOptions,
  log: Logger,
  onOutcome: (outcome: RunOutcome | 'unparseable') => void,
) {
  const limit = new InvocationLimit(options.maxInFlight ?? 256);
  // A run waiting for its due time (handed over early) gives its place to the runs behind it.
  const execute = new ExecutorService(deps, newOwnerId(deps.random), {
    leave: () => limit.release(),
    // Back at its time it goes at once, over the limit if need be: the limit holds back receives,
    // never a run already received.
    rejoin: () => limit.take(),
  });
  const handBack = {
    queue: deps.queue,
    queueUrls: infra.queues.urls,
    delaySeconds: (_record: unknown, error: unknown) =>
      error instanceof UnparseableMessage ? 0 : LOCAL_RUN_REDELIVERY_SECONDS,
  };
  const sources = PRIORITIES.map(
    (priority) =>
      new SqsEventSource({
        sqs: infra.sqs,
        queueUrl: infra.queues.urls[priority],
        name: `run queue ${priority}`,
        log,
        handler: (event) => processRunBatch(event, execute, log, onOutcome, handBack),
        loops: RUN_LOOPS[priority],
        batchSize: 1,
        limit,
      }),
  );
  for (const source of sources) source.start();
  const graceMs = options.shutdownGraceMs ?? 10_000;
  const stopAll = async (ms: number) =>
    (await Promise.all(sources.map((s) => s.stop(ms)))).reduce((a, b) => a + b, 0);
  return {
    stop: async () => {
      // Runs handed over ahead of their time go back on the queue at once rather than hold the stop.
      execute.handBackWaiting();
      const left = await stopAll(graceMs);
      if (left === 0) return;
      // Past the grace: interrupt the remaining calls; each hands its run back as queued for the next start.
      execute.releaseAll();
      const still = await stopAll(2000);
      log.warn(`${left} executions were still running at shutdown and were handed back as queued`, {
        unreleased: still,
      });
    },
  };
}

/** Plays the notifier function: its event source on the notifications queue; emails go to the outbox. */
export function startNotifier(
  deps: ServiceDeps,
  infra: LocalInfrastructure,
  options: LocalRuntimeOptions,
  log: Logger,
) {
  const outbox = join(options.dataDir, 'outbox');
  const service = new NotifierService({
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
  });
  const retryLater = redeliverLater(infra.sqs, infra.notificationQueue.url);
  const loops = 2;
  const source = new SqsEventSource({
    sqs: infra.sqs,
    queueUrl: infra.notificationQueue.url,
    name: 'notifications',
    log,
    handler: (event) =>
      processNotificationBatch(event, service, {
        log,
        retryLater,
        ...(options.notificationRetryBaseSeconds !== undefined
          ? { retryBaseSeconds: options.notificationRetryBaseSeconds }
          : {}),
      }),
    loops,
    batchSize: 10,
    limit: new InvocationLimit(loops),
  });
  source.start();
  // Stopped after the run queues' sources: notifications of the last runs still go out.
  return { outbox, stop: async () => void (await source.stop()) };
}

/** Plays DynamoDB's TTL and stream (the sweeper) and the compactor's schedule. */
export function startArchiving(
  deps: ServiceDeps,
  infra: LocalInfrastructure,
  options: LocalRuntimeOptions,
  log: Logger,
) {
  const sweeper = new TtlSweeper({
    client: infra.ddb,
    table: infra.tables.executions,
    archiver: (records) => archiveStreamBatch(infra.archive, records, log),
    clock: deps.clock,
    intervalMs: options.sweepIntervalMs ?? 60_000,
    log,
    // Swept but not yet archived survives a crash (DynamoDB's stream keeps records 24 h in AWS).
    journalPath: join(options.dataDir, 'ttl-sweeper-journal.json'),
  });
  const compactor = new ArchiveCompactor(infra.archiveStore, {
    clock: deps.clock,
    log,
    ...(options.compactionSettleMs === undefined ? {} : { settleMs: options.compactionSettleMs }),
  });
  return { sweeper, compactor };
}
