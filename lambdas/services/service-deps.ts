import { MAX_QUEUE_DELAY_MS } from '../core/execution/run-messages.js';
import { QUEUE_AHEAD_RUNS, type QueueAhead } from '../core/misfire.js';
import type { AwsTargetCaller } from '../core/ports/aws-target-caller.js';
import type { Clock } from '../core/ports/clock.js';
import type { ConcurrencySlots } from '../core/ports/concurrency-slots.js';
import type { DependencyEdges } from '../core/ports/dependency-edges.js';
import type { DependencyRounds } from '../core/ports/dependency-rounds.js';
import type { DueIndex } from '../core/ports/due-index.js';
import type { ExecutionEvents } from '../core/ports/execution-events.js';
import type { ExecutionStore } from '../core/ports/execution-store.js';
import type { HistoryArchive } from '../core/ports/history-archive.js';
import type { HttpCaller } from '../core/ports/http-caller.js';
import type { IdempotencyStore } from '../core/ports/idempotency-store.js';
import type { JobStore } from '../core/ports/job-store.js';
import type { Logger } from '../core/ports/logger.js';
import type { RecentWrites } from '../core/ports/recent-writes.js';
import type { RunQueue } from '../core/ports/run-queue.js';
import type { SigningKeys } from '../core/ports/signing-keys.js';
import type { Watermarks } from '../core/ports/watermarks.js';
import type { TenantPolicy } from './tenant-policy.js';

export interface ServiceSettings {
  shards: number;
  lookaheadSeconds: number;
  /**
   * How far ahead (≤ 900 s, SQS's longest delay) a plan may queue a job's runs beyond the
   * look-ahead, QUEUE_AHEAD_RUNS at most; absent or 0: only the look-ahead's runs. The runtime sets it.
   */
  queueAheadSeconds?: number;
  hotRetentionSeconds: number;
  /** Time past a call's own timeout before a silent executor's lease counts as lost (default 30). */
  leaseMarginSeconds?: number;
  /** Base URL targets use for heartbeat/complete callbacks (the API's public URL). */
  publicUrl?: string;
}

/** Everything a service needs, injected: stores, queue, caller, clock and randomness. */
export interface ServiceDeps {
  /** The Jobs table's concerns, one port each (one table backs them all in AWS). */
  jobs: JobStore;
  dueIndex: DueIndex;
  watermarks: Watermarks;
  slots: ConcurrencySlots;
  dependencyEdges: DependencyEdges;
  dependencyRounds: DependencyRounds;
  executions: ExecutionStore;
  queue: RunQueue;
  http: HttpCaller;
  /** Calls AWS-native targets (lambda, sqs, eventbridge, stepfunctions, sns); absent, they fail for good. */
  aws?: AwsTargetCaller;
  clock: Clock;
  random: () => number;
  /** Unguessable tokens (callback tokens): crypto randomness, unlike `random`. */
  secureToken: () => string;
  signing: SigningKeys;
  settings: ServiceSettings;
  log: Logger;
  /**
   * The changes of jobs' status or plan this process saw lately (the local runtime, whose run
   * queues hand runs over seconds early): a run waiting for its time is woken by one and reads its
   * job again (executor/early-runs.ts). Absent (AWS): runs come within the second before they are
   * due, and none waits.
   */
  recentWrites?: RecentWrites;
  /** Notifications and dependencies listen here; absent, nothing listens. */
  events?: ExecutionEvents;
  /** Execution history past the hot window (S3 in AWS, files locally); absent, reads see the hot table only. */
  archive?: HistoryArchive;
  /** Target allowlist and per-tenant limits (tenant-policy.ts); absent: the SSRF rules with no allowlist, no limits. */
  policy?: TenantPolicy;
  /** `Idempotency-Key` records of API POSTs (items of the Jobs table); absent, the API ignores the header. */
  idempotency?: IdempotencyStore;
}

/** How far a plan reaches: every run within the look-ahead, then the queue-ahead's. */
export function planReach(settings: ServiceSettings): { lookaheadMs: number; ahead: QueueAhead } {
  const aheadMs = Math.min(MAX_QUEUE_DELAY_MS, (settings.queueAheadSeconds ?? 0) * 1000);
  return {
    lookaheadMs: settings.lookaheadSeconds * 1000,
    ahead: { horizonMs: aheadMs, maxRuns: aheadMs > 0 ? QUEUE_AHEAD_RUNS : 0 },
  };
}

/** Calls an event listener without letting its failure touch the execution that caused it. */
export async function emit(
  deps: Pick<ServiceDeps, 'events' | 'log'>,
  call: (events: ExecutionEvents) => Promise<void>,
): Promise<void> {
  if (!deps.events) return;
  try {
    await call(deps.events);
  } catch (error) {
    deps.log.error('execution event listener failed', { error: String(error) });
  }
}
