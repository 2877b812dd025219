import { describe, expect, it } from 'vitest';
import { hourOf, hoursBetween, shardOf } from '../../../lambdas/core/buckets.js';
import { newJobId } from '../../../lambdas/core/ids.js';

const T0 = Date.parse('2026-03-08T06:59:30.250Z');

describe('buckets', () => {
  it.each([
    ['2026-03-08T06:59:30.250Z', '2026-03-08T06'],
    ['2026-03-08T07:00:00.000Z', '2026-03-08T07'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23'],
  ])('hourOf(%s) is %s', (instant, hour) => {
    expect(hourOf(Date.parse(instant))).toBe(hour);
  });

  it('lists the hours from a watermark through an instant, across a day boundary', () => {
    expect(hoursBetween('2026-03-08T22', Date.parse('2026-03-09T01:10:00.000Z'))).toEqual([
      '2026-03-08T22',
      '2026-03-08T23',
      '2026-03-09T00',
      '2026-03-09T01',
    ]);
    expect(hoursBetween('2026-03-09T02', Date.parse('2026-03-09T01:10:00.000Z'))).toEqual([]);
  });

  it('spreads job ids over every shard, stably', () => {
    const counts = new Array(16).fill(0);
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 4000; i++) counts[shardOf(newJobId(T0 + i, random), 16)]++;
    for (const c of counts) expect(c).toBeGreaterThan(150);
    expect(shardOf('job_01JABCDEFGHJKMNPQRSTVWXYZ0', 16)).toBe(shardOf('job_01JABCDEFGHJKMNPQRSTVWXYZ0', 16));
  });
});
