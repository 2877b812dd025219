import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux the bench runs on). */
const TICKS_PER_SECOND = 100;

/** User + system CPU of one thread, ms, from its `/proc/<pid>/task/<tid>/stat` line. */
export function cpuMsOfStat(line: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: fields count from after it.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15 of the line
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** CPU ms of each thread of this process by thread id; empty where /proc is not there. */
export function threadCpu(): Map<string, number> {
  const cpu = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return cpu;
  }
  for (const tid of tids) {
    try {
      cpu.set(tid, cpuMsOfStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return cpu;
}

export interface CpuPerItem {
  /** The event-loop thread's CPU per item (API, watcher, executor, bench client and sink). */
  mainThreadMs: number;
  /** Every thread's (the emulators' worker threads, V8's GC helpers, libuv's pool as well). */
  allThreadsMs: number;
}

/**
 * CPU per item spent by this process in one or more windows, counted by thread from /proc. It moves
 * far less than a latency with what else the machine runs (about ±30 % between runs on the shared
 * 2-core machine, where p99s moved 2–3×), so back-to-back before/after pairs of it say something.
 * `add` a window's two readings; `per` divides by the items done in them.
 */
export class CpuMeter {
  private mainMs = 0;
  private allMs = 0;

  add(before: Map<string, number>, after: Map<string, number>): void {
    for (const [tid, ms] of after) {
      const spent = ms - (before.get(tid) ?? 0);
      this.allMs += spent;
      if (tid === String(process.pid)) this.mainMs += spent;
    }
  }

  /** Undefined when nothing was counted (no /proc) or no item was done. */
  per(items: number): CpuPerItem | undefined {
    if (items <= 0 || this.allMs === 0) return undefined;
    const round = (ms: number) => Math.round((ms / items) * 100) / 100;
    return { mainThreadMs: round(this.mainMs), allThreadsMs: round(this.allMs) };
  }
}
