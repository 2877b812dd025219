import { spawnSync } from 'node:child_process';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeIndex,
  decodeManifest,
  decodeRows,
  decodeRowsWhere,
  decodeSegment,
  encodeIndex,
  encodeManifest,
  encodePart,
  encodeRows,
  parseJsonLines,
  toJsonLines,
} from '../../lambdas/adapters/archive-codec.js';
import { anArchiveRow } from '../support/history-fixtures.js';

const at = (hour: number) => new Date(Date.UTC(2026, 2, 8, hour)).toISOString();
/** Rows of three jobs, sorted by job then time, as a part holds them. */
const rows = [
  anArchiveRow('job_a', at(1)),
  anArchiveRow('job_a', at(2), { status: 'failed' }),
  anArchiveRow('job_b', at(0)),
  ...Array.from({ length: 50 }, (_, i) =>
    anArchiveRow('job_c', new Date(Date.UTC(2026, 2, 8, 3, i)).toISOString()),
  ),
];

describe('archive codec', () => {
  it('round-trips rows through gzip JSON Lines, one execution per newline-terminated line', () => {
    const bytes = encodeRows(rows);
    expect(decodeRows(bytes, 'k')).toEqual(rows);
    const text = gunzipSync(bytes).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(rows.length + 1);
    expect(parseJsonLines(toJsonLines(rows))).toEqual(rows);
  });

  it('rejects a line that is not an archived execution, naming the object', () => {
    const bad = Buffer.from(`${JSON.stringify(rows[0])}\n{"hello":1}\n`);
    expect(() => parseJsonLines(bad.toString())).toThrow();
    expect(() => decodeRows(gzipSync(bad), 'executions/x.jsonl.gz')).toThrow(/executions\/x\.jsonl\.gz/);
  });

  it('keeps only the rows wanted, judged on tenant and job before they are checked', () => {
    const kept = decodeRowsWhere(encodeRows(rows), 'k', (head) => head.jobId === 'job_a');
    expect(kept).toEqual(rows.slice(0, 2));
    // Quotes and escapes in values, and a line written with its keys in another order, read the same.
    const odd = anArchiveRow('job_"q"\\', at(4), { tenant: 'team "b"' });
    const { tenant, ...rest } = odd;
    const reordered = Buffer.from(
      `${JSON.stringify(odd)}\n${JSON.stringify({ ...rest, tenant: 'team-c' })}\n`,
    );
    const heads: { tenant: string; jobId: string }[] = [];
    decodeRowsWhere(gzipSync(reordered), 'k', ({ tenant, jobId }) => heads.push({ tenant, jobId }) > 0);
    expect(heads).toEqual([
      { tenant, jobId: odd.jobId },
      { tenant: 'team-c', jobId: odd.jobId },
    ]);
  });

  describe('compacted parts', () => {
    const { body, index } = encodePart('executions/tenant=team-a/date=2026-03-08/p.jsonl.gz', rows);

    it('are one gzip member any reader takes whole, in the order given', () => {
      expect(decodeRows(body, 'p')).toEqual(rows);
      // Node checks the CRC-32 and length of the trailer; so does gzip(1), which Athena's reader follows.
      const gzip = spawnSync('gzip', ['-dc'], { input: body });
      expect(gzip.status).toBe(0);
      expect(gzip.stdout.toString('utf8')).toBe(toJsonLines(rows));
    });

    it('index each job by a byte range that inflates alone to exactly its rows', () => {
      expect(index).toMatchObject({
        version: 1,
        part: 'executions/tenant=team-a/date=2026-03-08/p.jsonl.gz',
      });
      expect(index.rows).toBe(rows.length);
      expect(index.bytes).toBe(body.length);
      expect(index.segments.map((s) => [s.jobId, s.rows, s.first, s.last])).toEqual([
        ['job_a', 2, at(1), at(2)],
        ['job_b', 1, at(0), at(0)],
        ['job_c', 50, rows[3]!.scheduledAt, rows.at(-1)!.scheduledAt],
      ]);
      for (const segment of index.segments) {
        const slice = body.subarray(segment.offset, segment.offset + segment.length);
        expect(decodeSegment(slice, 'p')).toEqual(rows.filter((r) => r.jobId === segment.jobId));
      }
      // Contiguous: header, segments, then the final block and trailer.
      expect(index.segments[0]!.offset).toBe(10);
      const last = index.segments.at(-1)!;
      expect(body.length - (last.offset + last.length)).toBeLessThan(16);
    });

    it('are the same bytes for the same rows (a repeated compaction rewrites what it wrote)', () => {
      const again = encodePart('executions/tenant=team-a/date=2026-03-08/p.jsonl.gz', rows);
      expect(Buffer.compare(again.body, body)).toBe(0);
      expect(again.index).toEqual(index);
    });

    it('name the part an unreadable range belongs to', () => {
      expect(() => decodeSegment(body.subarray(11, 30), 'executions/p.jsonl.gz')).toThrow(
        /executions\/p\.jsonl\.gz/,
      );
    });

    it('hold no segment when empty, and still inflate', () => {
      const empty = encodePart('e', []);
      expect(empty.index.segments).toEqual([]);
      expect(decodeRows(empty.body, 'e')).toEqual([]);
    });
  });

  it('round-trips indexes and manifests, and refuses one of another shape', () => {
    const { index } = encodePart('p', rows);
    expect(decodeIndex(encodeIndex(index), 'i')).toEqual(index);
    const manifest = {
      version: 1 as const,
      date: '2026-06-07',
      generation: 1,
      shards: 2,
      staging: ['a', 'b'],
    };
    expect(decodeManifest(encodeManifest(manifest), 'm')).toEqual(manifest);
    expect(() => decodeManifest(Buffer.from('{"version":2}'), 'executions/compaction/x.json')).toThrow(
      /executions\/compaction\/x\.json is unreadable/,
    );
  });
});
