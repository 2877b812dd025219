import { untilSendWindow, worthAligning } from '../../core/execution/send-window.js';
import type { Clock } from '../../core/ports/clock.js';

/** Held groups are released early when the first of their runs is this close to due. */
const RELEASE_BEFORE_DUE_MS = 2_000;
/** …or when this many are held (a tick with a long backlog does not keep everything back). */
export const MAX_HELD_GROUPS = 20;

/**
 * A watcher tick's groups of runs that are not due yet, held back and released together in one
 * send window just before a second boundary (core/execution/send-window.ts): the executor then
 * sleeps at most the lead before each run instead of up to a second, and the tick waits once
 * (under a second) for up to twenty groups (1,000 jobs) rather than once per group. A group whose
 * first run is due before the window opens is not held; held groups are released before their
 * first run comes within two seconds. The caller computes DelaySeconds when it sends a released
 * group, not when it planned it.
 */
export class AlignedSends<G> {
  private held: { group: G; firstDueAt: number }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly leadMs: number,
  ) {}

  /** Holds the group for the window and returns true, or returns false: send it now. */
  hold(group: G, firstDueAt: number): boolean {
    if (!worthAligning(firstDueAt, this.clock.now(), this.leadMs)) return false;
    this.held.push({ group, firstDueAt });
    return true;
  }

  /** Whether the held groups should go now rather than at the end of the tick. */
  pressing(): boolean {
    if (this.held.length >= MAX_HELD_GROUPS) return true;
    const first = Math.min(...this.held.map((h) => h.firstDueAt));
    return first - this.clock.now() <= RELEASE_BEFORE_DUE_MS;
  }

  /**
   * Waits for the send window (not when a held run would be due by then) and hands back every
   * held group, in the order they were held; nothing is held afterwards.
   */
  async release(): Promise<G[]> {
    const held = this.held;
    this.held = [];
    if (held.length === 0) return [];
    const now = this.clock.now();
    const first = Math.min(...held.map((h) => h.firstDueAt));
    if (worthAligning(first, now, this.leadMs)) await this.clock.sleep(untilSendWindow(now, this.leadMs));
    return held.map((h) => h.group);
  }
}
