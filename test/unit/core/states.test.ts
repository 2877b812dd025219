import { describe, expect, it } from 'vitest';
import { canTransitionExecution, canTransitionJob, isFinal } from '../../../lambdas/core/states.js';

describe('transitions', () => {
  it('knows final states', () => {
    expect(
      ['succeeded', 'failed', 'timed_out', 'cancelled', 'dead', 'skipped'].every((s) => isFinal(s as never)),
    ).toBe(true);
    expect(isFinal('queued')).toBe(false);
    expect(isFinal('running')).toBe(false);
  });

  it.each([
    ['queued', 'running', true],
    ['running', 'succeeded', true],
    ['running', 'queued', true],
    ['succeeded', 'running', false],
    ['dead', 'queued', true],
    ['cancelled', 'queued', false],
  ] as const)('execution %s → %s: %s', (from, to, allowed) => {
    expect(canTransitionExecution(from, to)).toBe(allowed);
  });

  it.each([
    ['active', 'paused', true],
    ['paused', 'active', true],
    ['cancelled', 'active', false],
    ['completed', 'active', false],
  ] as const)('job %s → %s: %s', (from, to, allowed) => {
    expect(canTransitionJob(from, to)).toBe(allowed);
  });
});
