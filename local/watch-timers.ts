import type { Logger } from '../lambdas/core/ports/logger.js';
import type { WatchReport, WatchService } from '../lambdas/services/watch-service.js';

/**
 * Plays EventBridge Scheduler's part locally: every interval, one watcher invocation per shard.
 * A tick never overlaps the previous one; shards can be disabled like the AWS schedules.
 */
export class WatchTimers {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<WatchReport[]> | undefined;
  readonly disabled = new Set<number>();

  constructor(
    private readonly watch: WatchService,
    private shards: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  get shardCount(): number {
    return this.shards;
  }

  setShardCount(count: number): void {
    this.shards = count;
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs every enabled shard once (or joins the tick in progress). */
  tick(): Promise<WatchReport[]> {
    this.ticking ??= this.runShards().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
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

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }
}
