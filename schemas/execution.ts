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
    executionId: z.string(),
    jobId: z.string(),
    scheduledAt: z.string(),
    trigger: Trigger,
    status: ExecutionStatus,
    attempts: z.array(Attempt),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    lateByMs: z.number().int().nullable(),
    nextAttemptAt: z.string().nullable().optional(),
    reason: z.string().nullable().optional(),
  })
  .meta({ id: 'Execution' });
export type Execution = z.infer<typeof Execution>;
