import { z } from 'zod';
import { ExecutionRecord, JobRecord } from './records.js';

/**
 * The items of the DynamoDB tables: a record plus the attributes its indexes are keyed on. Only
 * the store adapters (lambdas/adapters/dynamo-*-items.ts) read and write these shapes.
 */

/** A job as stored in the Jobs table. */
export const JobItem = JobRecord.extend({
  /** Sparse `due` index keys: present only while the job has a next run. */
  dueBucket: z.string().optional(),
  dueKey: z.string().optional(),
  /** `byTenant` sort key. */
  createdKey: z.string(),
});
export type JobItem = z.infer<typeof JobItem>;

/** An execution as stored in the Executions table (keyed by `jobId` and `scheduledAt`: the id is not stored). */
export const ExecutionItem = ExecutionRecord.omit({ pending: true, executionId: true }).extend({
  /** Sparse `pending` index: present while the execution is not final. */
  pendingShard: z.string().optional(),
  pendingAt: z.string().optional(),
  /** Sparse `dead` index. */
  deadTenant: z.string().optional(),
});
export type ExecutionItem = z.infer<typeof ExecutionItem>;

/**
 * A job as the `due` index projects it: the keys, and what the watcher plans and writes run
 * messages from (the index's INCLUDE list is DUE_JOB_FIELDS plus `nextRunAt`).
 */
export const DueJobItem = JobRecord.pick({
  jobId: true,
  tenant: true,
  shard: true,
  status: true,
  version: true,
  planRev: true,
  priority: true,
  schedule: true,
  misfire: true,
  misfireGraceSeconds: true,
  anchorAt: true,
}).extend({ nextRunAt: z.string() });
