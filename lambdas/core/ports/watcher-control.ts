/**
 * Run-time control of the watcher ticks, one per shard: EventBridge Scheduler schedules in AWS,
 * the runtime's timers locally (their names and settings: lambdas/core/watcher-schedule.ts).
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
