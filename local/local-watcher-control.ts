import type { WatcherControl, WatcherSchedule } from '../lambdas/core/ports/watcher-control.js';
import { assertShardCount, watcherScheduleName } from '../lambdas/core/watcher-schedule.js';
import type { WatchTimers } from './watch-timers.js';

/** The WatcherControl port on the local runtime's timers (EventBridge Scheduler's part in AWS). */
export class LocalWatcherControl implements WatcherControl {
  constructor(private readonly timers: WatchTimers) {}

  async list(): Promise<WatcherSchedule[]> {
    return Array.from({ length: this.timers.shardCount }, (_, shard) => ({
      shard,
      name: watcherScheduleName(shard),
      state: this.timers.disabled.has(shard) ? ('DISABLED' as const) : ('ENABLED' as const),
    }));
  }

  async disableAll(): Promise<WatcherSchedule[]> {
    for (let shard = 0; shard < this.timers.shardCount; shard++) this.timers.disabled.add(shard);
    return this.list();
  }

  async enableAll(): Promise<WatcherSchedule[]> {
    this.timers.disabled.clear();
    return this.list();
  }

  async ensureShards(count: number): Promise<number[]> {
    assertShardCount(count);
    const before = this.timers.shardCount;
    if (count <= before) return [];
    this.timers.setShardCount(count);
    return Array.from({ length: count - before }, (_, i) => before + i);
  }
}
