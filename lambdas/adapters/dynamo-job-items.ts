import type { JobRecord } from '../../schemas/records.js';
import { DueJobItem, JobItem } from '../../schemas/stored.js';
import { hourOf } from '../core/buckets.js';
import type { DueJob } from '../core/ports/due-index.js';
import { iso } from '../core/time.js';

/**
 * The Jobs table's items, in one place: how a job becomes an item (its `due` and `byTenant` index
 * keys) and back, and the keys of the items that live beside the jobs (watermarks, concurrency
 * slots, dependency edges and rounds). No other module knows these attribute names or key shapes.
 */

/**
 * The `due` index partition a job's next run lives in: its hour and shard. A run already in the
 * past is filed under the current hour so the watcher, which scans forward from its watermark,
 * still finds it.
 */
export function dueBucketFor(nextRunAtMs: number, shard: number, nowMs: number): string {
  return dueBucketOf(hourOf(Math.max(nextRunAtMs, nowMs)), shard);
}

export function dueBucketOf(hour: string, shard: number): string {
  return `${hour}#${shard}`;
}

export function dueKeyFor(nextRunAtIso: string, jobId: string): string {
  return `${nextRunAtIso}#${jobId}`;
}

/** The `due` index keys of a job's next run, or none when it has no next run. */
export function dueKeysOf(
  job: Pick<JobRecord, 'jobId' | 'shard'>,
  nextRunAt: number | null,
  now: number,
): { dueBucket: string; dueKey: string } | null {
  if (nextRunAt === null) return null;
  return { dueBucket: dueBucketFor(nextRunAt, job.shard, now), dueKey: dueKeyFor(iso(nextRunAt), job.jobId) };
}

/** A job as the item the Jobs table stores, written at `now`. */
export function jobItemOf(job: JobRecord, now: number): JobItem {
  const due = dueKeysOf(job, job.nextRunAt === undefined ? null : Date.parse(job.nextRunAt), now);
  return { ...job, createdKey: `${job.createdAt}#${job.jobId}`, ...due };
}

/** The job an item holds. */
export function jobOfItem(raw: Record<string, unknown>): JobRecord {
  const { dueBucket: _b, dueKey: _k, createdKey: _c, ...job } = JobItem.parse(raw);
  return job;
}

/** A job as the `due` index projects it (the item's due keys and DUE_JOB_FIELDS, nothing else). */
export function dueJobOfItem(raw: Record<string, unknown>): DueJob {
  return DueJobItem.parse(raw);
}

/** Only job items have a `createdKey`: the items beside them (below) do not. */
export function isJobItem(raw: Record<string, unknown>): boolean {
  return raw.createdKey !== undefined;
}

export const watermarkId = (shard: number) => `#watermark#${shard}`;
/** Concurrency slots live in an item of their own, so a job replace (PATCH) never clobbers them. */
export const slotsId = (jobId: string) => `#slots#${jobId}`;
/** Reverse dependency edges and each downstream's round: items of their own, like the slots. */
export const dependentsId = (upstreamId: string) => `#dependents#${upstreamId}`;
export const roundId = (downstreamId: string) => `#upstreams#${downstreamId}`;
