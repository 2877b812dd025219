import type { ExecutionWindowCounter } from '../core/ports/execution-window-counter.js';

/** The counter of one process: exact when one process runs every executor (the local runtime). */
export class MemoryExecutionWindowCounter implements ExecutionWindowCounter {
  private readonly used = new Map<string, number>();
  private window = -1;

  async tryTake(tenant: string, window: number, amount: number, cap: number): Promise<boolean> {
    if (window !== this.window) {
      // Only the current minute matters; earlier ones are forgotten wholesale.
      if (window > this.window) this.used.clear();
      this.window = Math.max(window, this.window);
    }
    if (window < this.window) return false;
    const now = this.used.get(tenant) ?? 0;
    if (now + amount > cap) return false;
    this.used.set(tenant, now + amount);
    return true;
  }
}
