/**
 * Run-time control of the watcher ticks, one per shard: EventBridge Scheduler schedules in AWS,
 * the runtime's timers locally. The CDK stack names its schedules with `watcherScheduleName` and
 * gives them `WATCHER_SCHEDULE`, so schedules added at run time are indistinguishable from deployed ones.
 */
export type WatcherState = 'ENABLED' | 'DISABLED';

export interface WatcherSchedule {
  shard: number;
  /** `shard-<n>`: unique within the watchers' schedule group. */
  name: string;
  state: WatcherState;
}

export interface WatcherControl {
  /** Every watcher schedule, ordered by shard. */
  list(): Promise<WatcherSchedule[]>;
  /** Stops every tick (maintenance) and keeps the schedules; returns them as they are afterwards. */
  disableAll(): Promise<WatcherSchedule[]>;
  enableAll(): Promise<WatcherSchedule[]>;
  /**
   * Adds the missing schedules of shards 0..count-1 and returns the shards it added. It never
   * removes one: the jobs of a removed shard would never be watched again.
   */
  ensureShards(count: number): Promise<number[]>;
}

/** What every watcher schedule is: a tick a minute, retried briefly, then dead-lettered. */
export const WATCHER_SCHEDULE = {
  expression: 'rate(1 minute)',
  /** A retry later than the next tick is worthless: that tick scans the same buckets. */
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 60,
} as const;

export const WATCHER_SCHEDULE_PREFIX = 'shard-';

export function watcherScheduleName(shard: number): string {
  return `${WATCHER_SCHEDULE_PREFIX}${shard}`;
}

/** `shard-7` -> 7; names that are not a watcher schedule's -> null. */
export function shardOfWatcherSchedule(name: string): number | null {
  const match = /^shard-(0|[1-9]\d{0,5})$/.exec(name);
  return match ? Number(match[1]) : null;
}

/** The payload a watcher tick receives (the watcher handler parses exactly this). */
export function watcherInput(shard: number): { shard: number } {
  return { shard };
}

/**
 * The most watcher shards a deployment has. Each shard is one EventBridge Scheduler schedule, and
 * one CloudFormation stack holds at most 500 resources, of which the rest of the scheduler uses
 * about a hundred; 300 leaves room for that to grow. 64 shards already spread 10,000 runs a second
 * (DESIGN.md), so the ceiling is not a capacity limit.
 */
export const MAX_SHARDS = 300;

export function assertShardCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new Error(`shard count must be an integer from 1 to ${MAX_SHARDS}, got ${count}`);
  }
}
