import { z } from 'zod';
import { Execution } from './execution.js';

/**
 * One line of an archive object (gzip JSON Lines): the public Execution resource as the API
 * returned it while the execution was hot, plus its tenant. The Glue tables' columns are these
 * fields (lower-cased by Athena); in the compacted table `tenant` and `date` are partition keys.
 */
export const ArchiveRow = z.object({ ...Execution.shape, tenant: z.string() });
export type ArchiveRow = z.infer<typeof ArchiveRow>;

/** Where one job's rows sit in a compacted part: a byte range that inflates on its own. */
export const PartSegment = z.object({
  jobId: z.string(),
  /** First byte of the job's deflate segment in the part object. */
  offset: z.number().int().min(0),
  length: z.number().int().min(1),
  rows: z.number().int().min(1),
  /** `scheduledAt` of the job's oldest and newest row in the part. */
  first: z.string(),
  last: z.string(),
});
export type PartSegment = z.infer<typeof PartSegment>;

/** The index of one compacted part (a tenant's rows of one day, sorted by job): one segment per job. */
export const PartIndex = z.object({
  version: z.literal(1),
  /** Key of the part object the offsets point into. */
  part: z.string(),
  rows: z.number().int().min(0),
  bytes: z.number().int().min(0),
  segments: z.array(PartSegment),
});
export type PartIndex = z.infer<typeof PartIndex>;

/**
 * A compaction plan, written once (create-if-absent) before any part: the staging objects of one
 * removal date that this generation compacts, and how many shards share the work. Every run that
 * finds it builds exactly these parts, so concurrent or repeated runs agree byte for byte.
 */
export const CompactionManifest = z.object({
  version: z.literal(1),
  /** Removal date (yyyy-mm-dd) of the staging objects. */
  date: z.string(),
  generation: z.number().int().min(1),
  shards: z.number().int().min(1),
  staging: z.array(z.string()),
});
export type CompactionManifest = z.infer<typeof CompactionManifest>;
