import { describe, expect, it } from 'vitest';
import { CpuMeter, cpuMsOfStat, threadCpu } from '../../bench/thread-cpu.js';

// The bench's CPU per create / per trigger: the figure beside the latencies that other sessions' load moves least.

describe('bench thread CPU', () => {
  it('reads utime + stime of a /proc stat line, whatever the command name holds', () => {
    const line = '4242 (node (worker) x) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 12 0 99 0 0';
    expect(cpuMsOfStat(line)).toBe(1750);
  });

  it('counts every thread of a window, the event-loop thread apart, per item', () => {
    const main = String(process.pid);
    const meter = new CpuMeter();
    meter.add(
      new Map([
        [main, 100],
        ['7', 50],
      ]),
      new Map([
        [main, 300],
        ['7', 150],
        ['8', 100], // started during the window
      ]),
    );
    meter.add(new Map([[main, 300]]), new Map([[main, 400]]));
    expect(meter.per(100)).toEqual({ mainThreadMs: 3, allThreadsMs: 5 });
    expect(meter.per(0)).toBeUndefined();
    expect(new CpuMeter().per(10)).toBeUndefined();
  });

  it('finds this thread among the process threads, and its CPU grows with work', () => {
    const before = threadCpu();
    expect(before.has(String(process.pid))).toBe(true);
    // Spins until this thread has 30 ms more CPU (a loaded machine gives it less than the wall
    // clock: a fixed 60 ms spin came to under 20 ms at load 4), or 5 s have passed.
    const mine = () => threadCpu().get(String(process.pid)) ?? 0;
    const giveUp = performance.now() + 5000;
    while (mine() - (before.get(String(process.pid)) ?? 0) < 30 && performance.now() < giveUp) {
      const until = performance.now() + 10;
      while (performance.now() < until);
    }
    const meter = new CpuMeter();
    meter.add(before, threadCpu());
    expect(meter.per(1)!.mainThreadMs).toBeGreaterThanOrEqual(20);
  });
});
