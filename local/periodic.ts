/**
 * Work done every interval in the local runtime (the watcher ticks, the TTL sweep, the archive's
 * compaction): never two runs at once — a run asked for while one is under way joins it — and
 * stopping waits for the run under way. The timer does not keep the process alive.
 */
export class Periodic<R> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<R> | undefined;

  constructor(
    private readonly work: () => Promise<R>,
    private readonly intervalMs: number,
  ) {}

  /** Runs every interval from now on (and at once with `immediately`); a failed run waits for the next. */
  start(options: { immediately?: boolean } = {}): void {
    if (options.immediately) void this.run().catch(() => undefined);
    this.timer = setInterval(() => void this.run().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  /** One run now, or the one under way. */
  run(): Promise<R> {
    this.running ??= this.work().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
