/**
 * The watcher schedules, one per shard (the WatcherControl port controls them at run time): the
 * CDK stack names its schedules with `watcherScheduleName` and gives them `WATCHER_SCHEDULE`, so
 * schedules added at run time are indistinguishable from deployed ones.
 */
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
