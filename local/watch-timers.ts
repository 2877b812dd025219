import type { Logger } from '../lambdas/core/ports/logger.js';
import type { WatcherService, WatchReport } from '../lambdas/services/watcher/watcher-service.js';
import { Periodic } from './periodic.js';

/**
 * Plays EventBridge Scheduler's part locally: every interval, one watcher invocation per shard.
 * A tick never overlaps the previous one; shards can be disabled like the AWS schedules.
 */
export class WatchTimers {
  private readonly periodic: Periodic<WatchReport[]>;
  readonly disabled = new Set<number>();

  constructor(
    private readonly watch: WatcherService,
    private shards: number,
    intervalMs: number,
    private readonly log: Logger,
  ) {
    this.periodic = new Periodic(() => this.runShards(), intervalMs);
  }

  get shardCount(): number {
    return this.shards;
  }

  setShardCount(count: number): void {
    this.shards = count;
  }

  start(): void {
    this.periodic.start({ immediately: true });
  }

  /** Runs every enabled shard once (or joins the tick in progress). */
  tick(): Promise<WatchReport[]> {
    return this.periodic.run();
  }

  private async runShards(): Promise<WatchReport[]> {
    const reports: WatchReport[] = [];
    for (let shard = 0; shard < this.shards; shard++) {
      if (this.disabled.has(shard)) continue;
      try {
        reports.push(await this.watch.watchShard(shard));
      } catch (error) {
        this.log.error('watcher tick failed', { shard, error: String(error) });
      }
    }
    return reports;
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
