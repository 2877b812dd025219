import { z } from 'zod';
import { ExecutionStatus } from './job.js';

export const Trigger = z.enum(['schedule', 'manual', 'retry', 'replay', 'dependency']);
export type Trigger = z.infer<typeof Trigger>;

export const AttemptStatus = z.enum(['succeeded', 'failed', 'timed_out', 'cancelled', 'running']);

export const Attempt = z.object({
  attempt: z.number().int().min(1),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: AttemptStatus,
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  /** What an AWS target's service returned: message id, execution ARN, event id, status, a Lambda's first KB. */
  response: z.record(z.string(), z.string()).optional(),
});
export type Attempt = z.infer<typeof Attempt>;

export const Execution = z
  .object({
    executionId: z
      .string()
      .describe('`<jobId>:<scheduledAt>`: one run of a job, executed at most once to completion.'),
    jobId: z.string(),
    scheduledAt: z.string().describe('When the run was due (for a manual trigger, when it was asked for).'),
    trigger: Trigger,
    status: ExecutionStatus,
    attempts: z.array(Attempt),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    lateByMs: z.number().int().nullable().describe('How long after `scheduledAt` the first attempt started.'),
    nextAttemptAt: z.string().nullable().optional().describe('When a queued retry is due.'),
    reason: z
      .string()
      .nullable()
      .optional()
      .describe('Why the run was skipped or cancelled (a misfire, an upstream failure, a cancel).'),
  })
  .meta({ id: 'Execution', description: 'One run of a job, with all its attempts.' });
export type Execution = z.infer<typeof Execution>;
