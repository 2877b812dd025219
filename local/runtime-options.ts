import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../lambdas/core/ports/clock.js';
import type { Email } from '../lambdas/core/ports/email-sender.js';
import type { HttpCaller } from '../lambdas/core/ports/http-caller.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import type { WatcherControl } from '../lambdas/core/ports/watcher-control.js';
import type { RunOutcome } from '../lambdas/services/executor/executor-service.js';
import type { ServiceDeps } from '../lambdas/services/service-deps.js';
import type { Priority } from '../schemas/job.js';
import type { AllowedHosts } from './allowed-hosts.js';
import type { CompactionTimer } from './compaction-timer.js';
import type { RecoveryStatus } from './recovery.js';
import type { TtlSweeper } from './ttl-sweeper.js';
import type { WatchTimers } from './watch-timers.js';

export interface LocalRuntimeOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** API key -> tenant. */
  apiKeys: Map<string, string>;
  shards?: number;
  watchIntervalMs?: number;
  lookaheadSeconds?: number;
  /** How far ahead runs are queued, 0–900 s (default 900; 0: only the look-ahead's). */
  queueAheadSeconds?: number;
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
  /** Invocations of the executor in flight at once (default 256); a run waiting for its due time holds none. */
  maxInFlight?: number;
  /**
   * Seconds before they are due that first scheduled runs are handed to the executor, which reads
   * their jobs then and claims them just before their time (default LOCAL_HAND_OVER_AHEAD_SECONDS;
   * 0: within the second before, as in AWS). SCHEDULER_HAND_OVER_AHEAD_SECONDS.
   */
  handOverAheadSeconds?: number;
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
  /**
   * dynalite and fauxqs each in a worker thread, off the scheduler's event loop (default both;
   * false keeps one on it, as before: the benchmark's `--inline-dynamo` and `--inline-sqs`).
   */
  emulatorThreads?: { dynamo?: boolean; sqs?: boolean };
}

export interface LocalRuntime {
  url: string;
  port: number;
  deps: ServiceDeps;
  /** The recovery of the last session's queued messages, running in the background from the start (updated in place). */
  recovery: RecoveryStatus;
  /** Settles when that recovery has finished (or failed: see its `state`). */
  recovered: Promise<RecoveryStatus>;
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
