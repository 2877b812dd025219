import { z } from 'zod';
import { Attempt, Trigger } from './execution.js';
import { CreateJobBody, ExecutionStatus, JobStatus } from './job.js';

/** A job as stored in the Jobs table: the definition plus the scheduler's own fields. */
export const JobItem = z.object({
  ...CreateJobBody.shape,
  /** Unchecked beyond its type: a job stored before a rule on names was added still reads. */
  name: z.string().optional(),
  jobId: z.string(),
  tenant: z.string(),
  status: JobStatus,
  version: z.number().int(),
  shard: z.number().int(),
  nextRunAt: z.string().optional(),
  /** Sparse `due` index keys: present only while the job has a next run. */
  dueBucket: z.string().optional(),
  dueKey: z.string().optional(),
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
  createdKey: z.string(),
});
export type JobItem = z.infer<typeof JobItem>;

export const Lease = z.object({ owner: z.string(), until: z.number() });

/** An execution as stored in the Executions table. */
export const ExecutionItem = z.object({
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
  /** Sparse `pending` index: present while the execution is not final. */
  pendingShard: z.string().optional(),
  pendingAt: z.string().optional(),
  /** Sparse `dead` index. */
  deadTenant: z.string().optional(),
  /** DynamoDB TTL, epoch seconds. */
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
export type ExecutionItem = z.infer<typeof ExecutionItem>;
