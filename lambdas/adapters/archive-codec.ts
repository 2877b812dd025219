import { constants, crc32, deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { ArchiveRow, CompactionManifest, PartIndex, type PartSegment } from '../../schemas/archive.js';

/**
 * The bytes of the archive's objects, identical in S3 and in the local file archive. Synchronous
 * on purpose: zlib's thread-pool hop costs more than the work for objects of this size.
 */

/** Rows as JSON Lines (one object per line, newline-terminated): what Athena's JSON SerDe reads. */
export function toJsonLines(rows: readonly ArchiveRow[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

/** Parses JSON Lines written by `toJsonLines`; a line that is not a row is an error, not silently dropped. */
export function parseJsonLines(text: string): ArchiveRow[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ArchiveRow.parse(JSON.parse(line)));
}

function readable<T>(key: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw new Error(`archive object ${key} is unreadable: ${(error as Error).message}`);
  }
}

/** How `toJsonLines` starts a row: its tenant and job read without parsing the rest. */
const ROW_HEAD =
  /^\{"tenant":("(?:[^"\\]|\\.)*"),"executionId":"(?:[^"\\]|\\.)*","jobId":("(?:[^"\\]|\\.)*")/;

function headOf(line: string): { tenant: string; jobId: string } {
  const head = ROW_HEAD.exec(line);
  if (head) return { tenant: JSON.parse(head[1]!) as string, jobId: JSON.parse(head[2]!) as string };
  return JSON.parse(line) as { tenant: string; jobId: string };
}

/**
 * The rows of a staging object that `keep` wants, judged on the line's tenant and job before the
 * line is parsed and checked as a row: a compaction shard reads every staging object of its date
 * and keeps only its share of the rows (docs/history.md, "Compaction").
 */
export function decodeRowsWhere(
  bytes: Uint8Array,
  key: string,
  keep: (head: { tenant: string; jobId: string }) => boolean,
): ArchiveRow[] {
  return readable(key, () =>
    gunzipSync(bytes)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && keep(headOf(line)))
      .map((line) => ArchiveRow.parse(JSON.parse(line))),
  );
}

/** A staging object: gzip JSON Lines. */
export function encodeRows(rows: readonly ArchiveRow[]): Buffer {
  return gzipSync(Buffer.from(toJsonLines(rows), 'utf8'));
}

/** Rows of a staging object, or of a whole compacted part (it is one gzip member too). */
export function decodeRows(bytes: Uint8Array, key: string): ArchiveRow[] {
  return readable(key, () => parseJsonLines(gunzipSync(bytes).toString('utf8')));
}

/** gzip member header: deflate, no flags, no mtime (so equal rows give equal bytes), unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
/** An empty final deflate block: what ends the member after the last segment. */
const FINAL_BLOCK = deflateRawSync(Buffer.alloc(0));

/**
 * A compacted part: rows sorted by job, as ONE gzip member (any gzip reader, Athena included, reads
 * it whole) in which each job's rows are deflated on their own and end at a full flush. A full
 * flush ends on a byte boundary and resets the compressor's history, so the byte range of one job
 * inflates without the bytes before it: the index maps each job to that range.
 * (docs/decisions/archive-byte-range-index.md)
 */
export function encodePart(part: string, rows: readonly ArchiveRow[]): { body: Buffer; index: PartIndex } {
  const chunks: Buffer[] = [GZIP_HEADER];
  const segments: PartSegment[] = [];
  let offset = GZIP_HEADER.length;
  let crc = 0;
  let size = 0;
  for (let start = 0; start < rows.length; ) {
    const jobId = rows[start]!.jobId;
    let end = start;
    while (end < rows.length && rows[end]!.jobId === jobId) end++;
    const jobRows = rows.slice(start, end);
    const text = Buffer.from(toJsonLines(jobRows), 'utf8');
    const deflated = deflateRawSync(text, { finishFlush: constants.Z_FULL_FLUSH });
    segments.push({
      jobId,
      offset,
      length: deflated.length,
      rows: jobRows.length,
      first: jobRows[0]!.scheduledAt,
      last: jobRows.at(-1)!.scheduledAt,
    });
    chunks.push(deflated);
    offset += deflated.length;
    crc = crc32(text, crc);
    size += text.length;
    start = end;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  const body = Buffer.concat([...chunks, FINAL_BLOCK, trailer]);
  return { body, index: { version: 1, part, rows: rows.length, bytes: body.length, segments } };
}

/** The rows of one job's segment of a part (the bytes of its index range). */
export function decodeSegment(bytes: Uint8Array, key: string): ArchiveRow[] {
  return readable(key, () =>
    parseJsonLines(inflateRawSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8')),
  );
}

export function encodeIndex(index: PartIndex): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(index), 'utf8'));
}

export function decodeIndex(bytes: Uint8Array, key: string): PartIndex {
  return readable(key, () => PartIndex.parse(JSON.parse(gunzipSync(bytes).toString('utf8'))));
}

export function encodeManifest(manifest: CompactionManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}

export function decodeManifest(bytes: Uint8Array, key: string): CompactionManifest {
  return readable(key, () => CompactionManifest.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))));
}
