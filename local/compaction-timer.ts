import type { ArchiveCompactor, CompactionReport } from '../lambdas/adapters/archive-compactor.js';
import type { Logger } from '../lambdas/core/ports/logger.js';

/**
 * Plays the compactor's schedule locally: the same ArchiveCompactor the Lambda runs, every
 * interval (hourly by default, as in AWS), never two runs at once. A date is compacted only once
 * it has settled (a day after it ends), so a laptop's archive stays in staging for about two days.
 */
export class CompactionTimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CompactionReport> | undefined;

  constructor(
    private readonly compactor: ArchiveCompactor,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  /** One compaction run (or joins the one in progress). */
  run(): Promise<CompactionReport> {
    this.running ??= this.compactor
      .compact()
      .then((report) => {
        if (report.compacted.length > 0 || report.failed.length > 0)
          this.log.info('archive compaction', { ...report });
        return report;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
