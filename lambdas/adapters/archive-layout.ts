import { createHash } from 'node:crypto';
import { iso, ms } from '../core/time.js';

/**
 * Where the execution archive keeps what (docs/history.md, "Archive layout"):
 *
 *   executions/staging/date=<D>/hour=<HH>/<first>-<last>-<digest>.jsonl.gz   one per stream batch
 *   executions/tenant=<t>/date=<S>/<D>-g<gen>-s<i>of<n>.jsonl.gz              a compacted part
 *   executions/index/tenant=<t>/date=<S>/<D>-g<gen>-s<i>of<n>.json.gz         its byte-range index
 *   executions/compaction/date=<D>/g<gen>.json, g<gen>-s<i>.done               compaction plans, progress
 *
 * `D` is the UTC date a batch left the hot table, `S` the UTC date its rows were scheduled. Only
 * the parts sit under `tenant=`: the Glue table's partitions, which Athena reads.
 */
export const ARCHIVE_PREFIX = 'executions/';
export const STAGING_PREFIX = `${ARCHIVE_PREFIX}staging/`;
export const INDEX_PREFIX = `${ARCHIVE_PREFIX}index/`;
export const COMPACTION_PREFIX = `${ARCHIVE_PREFIX}compaction/`;
/** Compacted parts only (the objects worth moving to Glacier Instant Retrieval). */
export const PARTS_PREFIX = `${ARCHIVE_PREFIX}tenant=`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Values are URI-encoded so a tenant or id can never add a path segment (`/`) to a key or a file path. */
const segment = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`;

/** The UTC date of an instant (ISO or epoch ms), as the `date=` partitions name it. */
export function utcDate(instant: string | number): string {
  return iso(typeof instant === 'number' ? instant : ms(instant)).slice(0, 10);
}

/** A date that can name a partition (a year beyond 9999 parses as an instant but names none). */
export function isArchiveDate(date: string): boolean {
  return DATE.test(date);
}

function checkedDate(date: string): string {
  if (!isArchiveDate(date)) throw new Error(`not an archive date: ${date}`);
  return date;
}

// ---- staging -------------------------------------------------------------------------------

/** `2026-03-08T07:30:00.000Z` as `20260308T073000000Z`: fixed width, so it sorts as the instant does. */
const compact = (instant: string) => iso(ms(instant)).replace(/[-:.]/g, '');
const expand = (c: string) =>
  `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(9, 11)}:${c.slice(11, 13)}:${c.slice(13, 15)}.${c.slice(15, 18)}Z`;
const STAGING_NAME = /^(\d{8}T\d{9}Z)-(\d{8}T\d{9}Z)-([0-9a-f]{16})\.jsonl\.gz$/;
const STAGING_PATH = /^executions\/staging\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^/]+)$/;

function stagingDatePrefix(date: string): string {
  return `${STAGING_PREFIX}date=${checkedDate(date)}/`;
}

/**
 * A staging object's key: its removal hour, then the span of its rows' `scheduledAt` (so a reader
 * skips objects that cannot hold what it looks for) and a digest of its bytes (so the same batch
 * delivered again rewrites the same key, and two different batches never share one).
 */
export function stagingKey(removedAt: number, span: { first: string; last: string }, digest: string): string {
  const removed = iso(removedAt);
  return `${stagingDatePrefix(removed.slice(0, 10))}hour=${removed.slice(11, 13)}/${compact(span.first)}-${compact(span.last)}-${digest}.jsonl.gz`;
}

export interface StagingObject {
  key: string;
  /** Removal date. */
  date: string;
  /** Oldest and newest `scheduledAt` of its rows (inclusive). */
  first: string;
  last: string;
}

/** A staging key read back; null for anything else under the staging prefix (a stray temp file). */
export function parseStagingKey(key: string): StagingObject | null {
  const path = STAGING_PATH.exec(key);
  const name = path ? STAGING_NAME.exec(path[3]!) : null;
  if (!path || !name) return null;
  return { key, date: path[1]!, first: expand(name[1]!), last: expand(name[2]!) };
}

/** Sixteen hex digits of SHA-256: names an object by its content. */
export function digestOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

// ---- compacted parts and their indexes ------------------------------------------------------

export interface PartName {
  tenant: string;
  /** Scheduled date of the rows. */
  date: string;
  /** Removal date of the staging objects compacted. */
  source: string;
  generation: number;
  shard: number;
  shards: number;
}

const partFile = (p: PartName) =>
  `${checkedDate(p.source)}-g${String(p.generation).padStart(4, '0')}-s${p.shard}of${p.shards}`;

export function tenantIndexPrefix(tenant: string): string {
  return `${INDEX_PREFIX}${segment('tenant', tenant)}/`;
}

export function indexDatePrefix(tenant: string, date: string): string {
  return `${tenantIndexPrefix(tenant)}date=${checkedDate(date)}/`;
}

export function partKey(p: PartName): string {
  return `${PARTS_PREFIX}${encodeURIComponent(p.tenant)}/date=${checkedDate(p.date)}/${partFile(p)}.jsonl.gz`;
}

export function indexKey(p: PartName): string {
  return `${indexDatePrefix(p.tenant, p.date)}${partFile(p)}.json.gz`;
}

const INDEX_PATH =
  /^executions\/index\/tenant=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})-g(\d{4,})-s(\d+)of(\d+)\.json\.gz$/;

/** An index key read back; null for anything else. */
export function parseIndexKey(key: string): PartName | null {
  const m = INDEX_PATH.exec(key);
  if (!m) return null;
  return {
    tenant: decodeURIComponent(m[1]!),
    date: m[2]!,
    source: m[3]!,
    generation: Number(m[4]),
    shard: Number(m[5]),
    shards: Number(m[6]),
  };
}

/**
 * The shard of `shards` that compacts a job's rows: the same job of a tenant always lands in the
 * same shard, so its rows of a day sit in one part per compaction, and a reader knows which.
 */
export function shardOf(tenant: string, jobId: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha256').update(`${tenant}\u0000${jobId}`).digest().readUInt32BE(0) % shards;
}

// ---- compaction plans ------------------------------------------------------------------------

export function compactionPrefix(date: string): string {
  return `${COMPACTION_PREFIX}date=${checkedDate(date)}/`;
}

const gen = (generation: number) => `g${String(generation).padStart(4, '0')}`;

export function manifestKey(date: string, generation: number): string {
  return `${compactionPrefix(date)}${gen(generation)}.json`;
}

export function doneKey(date: string, generation: number, shard: number): string {
  return `${compactionPrefix(date)}${gen(generation)}-s${String(shard).padStart(4, '0')}.done`;
}

const COMPACTION_NAME = /\/g(\d{4,})(?:-s(\d{4,})\.done|\.json)$/;

/** A manifest (`shard` undefined) or a shard's done marker, read back from its key; null otherwise. */
export function parseCompactionKey(key: string): { generation: number; shard?: number } | null {
  const m = COMPACTION_NAME.exec(key);
  if (!m) return null;
  return m[2] === undefined
    ? { generation: Number(m[1]) }
    : { generation: Number(m[1]), shard: Number(m[2]) };
}
