import { z } from 'zod';
import { Attempt, Trigger } from './execution.js';
import { CreateJobBody, ExecutionStatus, JobStatus } from './job.js';

/**
 * The scheduler's own records of jobs and executions, as the services and the core know them.
 * How they are stored (index keys, the layout of the tables) is each store adapter's business:
 * schemas/stored.ts and lambdas/adapters/dynamo-*.ts.
 */

/** A job: the definition plus the scheduler's own fields. */
export const JobRecord = z.object({
  ...CreateJobBody.shape,
  /** Unchecked beyond its type: a job stored before a rule on names was added still reads. */
  name: z.string().optional(),
  jobId: z.string(),
  tenant: z.string(),
  status: JobStatus,
  version: z.number().int(),
  /** The watcher shard that plans its runs (and re-sends its lost ones); kept for the job's life. */
  shard: z.number().int(),
  /** Where the watcher resumes planning; absent when the job has no time-based run ahead. */
  nextRunAt: z.string().optional(),
  /** Scheduled instant of the latest run handed to the run queue (recovery of lost messages). */
  enqueuedThrough: z.string().optional(),
  /** Rate schedules count from this instant. */
  anchorAt: z.string().optional(),
  pausedAt: z.string().optional(),
  /** When a PATCH last changed the schedule (resume and restart recovery count runs from it). */
  scheduleChangedAt: z.string().optional(),
  /**
   * Revision of the job's plan of runs, bumped by a schedule change, pause, resume and cancel (not
   * by other edits); each run message carries the one it was planned under. Absent: 0.
   */
  planRev: z.number().int().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export const Lease = z.object({ owner: z.string(), until: z.number() });

/** While an execution is not final: which shard's watcher re-sends it, and from when, if no message moved it first. */
export const Pending = z.object({ shard: z.number().int(), at: z.string() });

/** An execution: one run of a job, with all its attempts. */
export const ExecutionRecord = z.object({
  executionId: z.string(),
  jobId: z.string(),
  tenant: z.string(),
  scheduledAt: z.string(),
  trigger: Trigger,
  status: ExecutionStatus,
  attempts: z.array(Attempt),
  /** Optimistic-concurrency counter for conditional writes. */
  rev: z.number().int(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  lateByMs: z.number().int().optional(),
  lease: Lease.optional(),
  nextAttemptAt: z.string().optional(),
  reason: z.string().optional(),
  pending: Pending.optional(),
  /** When the execution leaves the hot history (DynamoDB TTL), epoch seconds. */
  expiresAt: z.number().int().optional(),
  callbackTokenHash: z.string().optional(),
  /** Set by a cancel while the call runs; the executor aborts the call and records `cancelled`. */
  cancelRequestedAt: z.string().optional(),
  priority: z.enum(['high', 'normal', 'low']).optional(),
  /** The target answered 202 {"async":true}: it heartbeats and completes through the callback endpoints. */
  awaitingCallback: z.boolean().optional(),
  /** Attempts before this index belong to earlier series (a replay, a shutdown interruption): the retry budget counts from here. */
  attemptBase: z.number().int().optional(),
  replayedAt: z.string().optional(),
});
export type ExecutionRecord = z.infer<typeof ExecutionRecord>;
