import type { ArchiveCompactor, CompactionReport } from '../lambdas/adapters/archive-compactor.js';
import type { Logger } from '../lambdas/core/ports/logger.js';
import { Periodic } from './periodic.js';

/**
 * Plays the compactor's schedule locally: the same ArchiveCompactor the Lambda runs, every
 * interval (hourly by default, as in AWS), never two runs at once. A date is compacted only once
 * it has settled (a day after it ends), so a laptop's archive stays in staging for about two days.
 */
export class CompactionTimer {
  private readonly periodic: Periodic<CompactionReport>;

  constructor(compactor: ArchiveCompactor, intervalMs: number, log: Logger) {
    this.periodic = new Periodic(async () => {
      const report = await compactor.compact();
      if (report.compacted.length > 0 || report.failed.length > 0)
        log.info('archive compaction', { ...report });
      return report;
    }, intervalMs);
  }

  start(): void {
    this.periodic.start();
  }

  /** One compaction run (or joins the one in progress). */
  run(): Promise<CompactionReport> {
    return this.periodic.run();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
