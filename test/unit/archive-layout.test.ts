import { describe, expect, it } from 'vitest';
import {
  doneKey,
  indexKey,
  manifestKey,
  type PartName,
  parseCompactionKey,
  parseIndexKey,
  parseStagingKey,
  partKey,
  shardOf,
  stagingKey,
  utcDate,
} from '../../lambdas/adapters/archive-layout.js';

const part: PartName = {
  tenant: 'team-a',
  date: '2026-03-08',
  source: '2026-06-07',
  generation: 1,
  shard: 0,
  shards: 1,
};

describe('archive layout', () => {
  describe('staging keys', () => {
    it('name the removal hour and the span of the rows, and read back to the millisecond', () => {
      const key = stagingKey(
        Date.parse('2026-06-07T23:59:59.999Z'),
        { first: '2026-03-08T00:00:00.001Z', last: '2026-03-09T23:59:59.999Z' },
        '0123456789abcdef',
      );
      expect(key).toBe(
        'executions/staging/date=2026-06-07/hour=23/20260308T000000001Z-20260309T235959999Z-0123456789abcdef.jsonl.gz',
      );
      expect(parseStagingKey(key)).toEqual({
        key,
        date: '2026-06-07',
        first: '2026-03-08T00:00:00.001Z',
        last: '2026-03-09T23:59:59.999Z',
      });
    });

    it.each([
      'executions/staging/date=2026-06-07/hour=23/x.jsonl.gz.0123456789ab.tmp',
      'executions/staging/date=2026-06-07/x.jsonl.gz',
      'executions/tenant=t/date=2026-03-08/2026-06-07-g0001-s0of1.jsonl.gz',
    ])('reads %s as no staging object', (key) => {
      expect(parseStagingKey(key)).toBeNull();
    });
  });

  describe('part and index keys', () => {
    it('put parts under tenant and scheduled date (what Athena reads), indexes beside them under index/', () => {
      expect(partKey(part)).toBe('executions/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.jsonl.gz');
      expect(indexKey(part)).toBe(
        'executions/index/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.json.gz',
      );
      expect(parseIndexKey(indexKey(part))).toEqual(part);
    });

    it('URI-encode the tenant, so no value adds a path segment', () => {
      const odd = { ...part, tenant: '../team a/b', shard: 3, shards: 4, generation: 12 };
      expect(partKey(odd)).toBe(
        'executions/tenant=..%2Fteam%20a%2Fb/date=2026-03-08/2026-06-07-g0012-s3of4.jsonl.gz',
      );
      expect(parseIndexKey(indexKey(odd))).toEqual(odd);
    });

    it('refuse a date that is not yyyy-mm-dd instead of writing outside the partition', () => {
      expect(() => partKey({ ...part, date: '../../x' })).toThrow(/not an archive date/);
      expect(() => indexKey({ ...part, source: '2026-3-8' })).toThrow(/not an archive date/);
    });
  });

  describe('compaction keys', () => {
    it('name manifests and done markers of a removal date, and read them back', () => {
      expect(manifestKey('2026-06-07', 2)).toBe('executions/compaction/date=2026-06-07/g0002.json');
      expect(doneKey('2026-06-07', 2, 13)).toBe('executions/compaction/date=2026-06-07/g0002-s0013.done');
      expect(parseCompactionKey(manifestKey('2026-06-07', 2))).toEqual({ generation: 2 });
      expect(parseCompactionKey(doneKey('2026-06-07', 2, 13))).toEqual({ generation: 2, shard: 13 });
      expect(parseCompactionKey('executions/compaction/date=2026-06-07/notes.txt')).toBeNull();
    });
  });

  it('shards a tenant’s job the same way every time, spreading jobs over the shards', () => {
    expect(shardOf('team-a', 'job_1', 1)).toBe(0);
    expect(shardOf('team-a', 'job_1', 8)).toBe(shardOf('team-a', 'job_1', 8));
    const used = new Set(Array.from({ length: 200 }, (_, i) => shardOf('team-a', `job_${i}`, 8)));
    expect(used.size).toBe(8);
  });

  it('dates a partition by the UTC day', () => {
    expect(utcDate('2026-03-08T23:59:59.999Z')).toBe('2026-03-08');
    expect(utcDate('2026-03-09T00:59:59.999+01:00')).toBe('2026-03-08');
    expect(utcDate(Date.parse('2026-03-09T00:00:00.000Z'))).toBe('2026-03-09');
  });
});
