import { describe, expect, it } from 'vitest';
import type { ArchiveStore } from '../../lambdas/core/ports/archive-store.js';

export interface StoreUnderTest {
  store: ArchiveStore;
  /** Every stored key, sorted (the layout on disk or in the bucket). */
  keys(): Promise<string[]>;
}

let counter = 0;
/** A prefix of its own per test: the suites share one bucket or directory. */
const fresh = () => `executions/test-${++counter}-${Math.random().toString(36).slice(2, 8)}/`;
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));

/**
 * One suite for every ArchiveStore: S3 (on fauxqs), files (a temp dir), and the in-memory fake.
 * `conditional`: the store honours create-if-absent (fauxqs ignores `If-None-Match`; the S3
 * store's handling of it is tested against a mocked client in test/unit/s3-archive-store.test.ts).
 */
export function archiveStoreConformance(name: string, make: () => StoreUnderTest, conditional = true) {
  describe(`${name} ArchiveStore`, () => {
    it('stores, replaces and reads objects; an unknown key reads as null', async () => {
      const { store } = make();
      const p = fresh();
      expect(await store.get(`${p}nothing.json`)).toBeNull();
      expect(await store.put(`${p}a/b.json`, bytes('one'))).toBe(true);
      expect(text(await store.get(`${p}a/b.json`))).toBe('one');
      expect(await store.put(`${p}a/b.json`, bytes('two'))).toBe(true);
      expect(text(await store.get(`${p}a/b.json`))).toBe('two');
    });

    it('reads a byte range, both ends inclusive', async () => {
      const { store } = make();
      const p = fresh();
      await store.put(`${p}range.bin`, bytes('0123456789'));
      expect(text(await store.get(`${p}range.bin`, { start: 2, end: 5 }))).toBe('2345');
      expect(text(await store.get(`${p}range.bin`, { start: 9, end: 9 }))).toBe('9');
      expect(await store.get(`${p}missing.bin`, { start: 0, end: 1 })).toBeNull();
    });

    it('lists every object under a prefix in key order, with sizes, after a start key', async () => {
      const { store } = make();
      const p = fresh();
      for (const key of ['date=2026-03-09/x.gz', 'date=2026-03-08/b/y.gz', 'date=2026-03-08/a.gz']) {
        await store.put(`${p}${key}`, bytes(key));
      }
      await store.put(`${p.slice(0, -1)}-other/z.gz`, bytes('z'));
      const all = await store.list(p);
      expect(all.map((o) => o.key)).toEqual([
        `${p}date=2026-03-08/a.gz`,
        `${p}date=2026-03-08/b/y.gz`,
        `${p}date=2026-03-09/x.gz`,
      ]);
      expect(all[0]!.size).toBe('date=2026-03-08/a.gz'.length);
      expect((await store.list(p, { startAfter: `${p}date=2026-03-08` })).map((o) => o.key)).toHaveLength(3);
      expect((await store.list(p, { startAfter: `${p}date=2026-03-08/b/y.gz` })).map((o) => o.key)).toEqual([
        `${p}date=2026-03-09/x.gz`,
      ]);
      expect(await store.list(`${p}date=2027-01-01/`)).toEqual([]);
    });

    it('deletes objects, and a key with no object is no error', async () => {
      const { store, keys } = make();
      const p = fresh();
      await store.put(`${p}h=01/a.gz`, bytes('a'));
      await store.put(`${p}h=01/b.gz`, bytes('b'));
      await store.put(`${p}h=02/c.gz`, bytes('c'));
      await store.delete([`${p}h=01/a.gz`, `${p}h=01/b.gz`, `${p}h=01/never.gz`]);
      expect((await store.list(p)).map((o) => o.key)).toEqual([`${p}h=02/c.gz`]);
      expect((await keys()).filter((k) => k.startsWith(p))).toEqual([`${p}h=02/c.gz`]);
      await store.delete([]);
      // The emptied folder takes a new object again.
      await store.put(`${p}h=01/d.gz`, bytes('d'));
      expect(text(await store.get(`${p}h=01/d.gz`))).toBe('d');
    });

    it('keeps keys whose segments hold encoded path characters apart', async () => {
      const { store } = make();
      const p = fresh();
      const odd = `${p}tenant=${encodeURIComponent('../team a/b')}/x.gz`;
      await store.put(odd, bytes('odd'));
      expect((await store.list(p)).map((o) => o.key)).toEqual([odd]);
      expect(text(await store.get(odd))).toBe('odd');
    });

    if (!conditional) return;
    it('creates an object only if absent, when asked: the first writer wins', async () => {
      const { store } = make();
      const p = fresh();
      expect(await store.put(`${p}plan.json`, bytes('first'), { ifAbsent: true })).toBe(true);
      expect(await store.put(`${p}plan.json`, bytes('second'), { ifAbsent: true })).toBe(false);
      expect(text(await store.get(`${p}plan.json`))).toBe('first');
      const racing = await Promise.all(
        Array.from({ length: 5 }, (_, i) => store.put(`${p}race.json`, bytes(String(i)), { ifAbsent: true })),
      );
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect(await store.list(p)).toHaveLength(2);
    });
  });
}
