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
    const until = performance.now() + 60;
    let spin = 0;
    while (performance.now() < until) spin++;
    expect(spin).toBeGreaterThan(0);
    const meter = new CpuMeter();
    meter.add(before, threadCpu());
    expect(meter.per(1)!.mainThreadMs).toBeGreaterThanOrEqual(20);
  });
});
