import { describe, expect, it } from 'vitest';
import { describeCycle, findCycle } from '../../../lambdas/core/dependency-graph.js';

describe('findCycle', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  it.each([
    ['no edges', {}, 'A', null],
    ['a chain', { A: ['B'], B: ['C'] }, 'A', null],
    ['a diamond', { A: ['B', 'C'], B: ['D'], C: ['D'] }, 'A', null],
    ['a self-loop', { A: ['A'] }, 'A', ['A', 'A']],
    ['two jobs', { A: ['B'], B: ['A'] }, 'A', ['A', 'B', 'A']],
    ['three jobs', { A: ['B'], B: ['C'], C: ['A'] }, 'A', ['A', 'B', 'C', 'A']],
    ['a cycle upstream, not through the start', { A: ['B'], B: ['C'], C: ['B'] }, 'A', ['B', 'C', 'B']],
    ['a cycle behind a diamond', { A: ['B', 'C'], B: ['D'], C: ['D'], D: ['C'] }, 'A', ['D', 'C', 'D']],
  ])('%s', (_name, edges, start, expected) => {
    expect(findCycle(graph(edges as Record<string, string[]>), start)).toEqual(expected);
  });

  it('walks a 20,000-job chain without overflowing the stack', () => {
    const edges = new Map<string, string[]>();
    for (let i = 0; i < 20_000; i++) edges.set(`J${i}`, [`J${i + 1}`]);
    expect(findCycle(edges, 'J0')).toBeNull();
    edges.set('J20000', ['J0']);
    expect(findCycle(edges, 'J0')).toHaveLength(20_002);
  });

  it('names a cycle the way the API reports it', () => {
    expect(describeCycle(['job_A', 'job_B', 'job_A'])).toBe('job_A → job_B → job_A');
  });
});
