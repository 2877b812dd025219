import { describe, expect, it } from 'vitest';
import { MemoryExecutionWindowCounter } from '../../lambdas/adapters/memory-execution-window-counter.js';
import { ExecutionGate } from '../../lambdas/services/tenant-policy.js';

const MINUTE = Date.parse('2026-05-01T12:00:00.000Z');

/** The shared counter, counting the writes (tryTake calls) the gates make. */
function countedCounter() {
  const counter = new MemoryExecutionWindowCounter();
  const takes: number[] = [];
  const tryTake = counter.tryTake.bind(counter);
  counter.tryTake = async (tenant, window, amount, cap) => {
    takes.push(amount);
    return tryTake(tenant, window, amount, cap);
  };
  return { counter, takes };
}

async function admitMany(gate: ExecutionGate, n: number, now = MINUTE) {
  let admitted = 0;
  for (let i = 0; i < n; i++) if ((await gate.admit('t', now)).admitted) admitted++;
  return admitted;
}

describe('the tenant execution cap (ExecutionGate)', () => {
  it('takes the shared count in blocks that grow with the demand: 600 runs in a minute cost a few writes', async () => {
    const { counter, takes } = countedCounter();
    const gate = new ExecutionGate(counter, 10_000, () => 0.5);
    expect(await admitMany(gate, 600)).toBe(600);
    // One write per 10 runs before (60 writes); blocks that double now.
    expect(takes.length).toBeLessThanOrEqual(10);
    expect(takes.reduce((a, b) => a + b, 0) - 600).toBeLessThan(600);
  });

  it('still holds the cap exactly across executors, taking the last units one by one', async () => {
    const { counter } = countedCounter();
    const gates = [0, 1].map(() => new ExecutionGate(counter, 50, () => 0.5));
    let admitted = 0;
    for (let i = 0; i < 100; i++) if ((await gates[i % 2]!.admit('t', MINUTE)).admitted) admitted++;
    expect(admitted).toBe(50);
    const refused = await gates[0]!.admit('t', MINUTE);
    expect(refused).toMatchObject({ admitted: false });
  });

  it('starts each minute with a small block again', async () => {
    const { counter, takes } = countedCounter();
    const gate = new ExecutionGate(counter, 10_000, () => 0.5);
    await admitMany(gate, 300);
    takes.length = 0;
    expect(await admitMany(gate, 1, MINUTE + 60_000)).toBe(1);
    expect(takes).toEqual([10]);
  });
});
