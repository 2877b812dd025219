import { z } from 'zod';
import { IsoInstant, listOf } from './common.js';
import { Execution } from './execution.js';
import { ExecutionStatus, Job, JobStatus, Schedule } from './job.js';

export const Limit = z.coerce.number().int().min(1).max(100).default(50);

export const ListJobsQuery = z.strictObject({
  limit: Limit,
  cursor: z.string().max(2048).optional(),
  status: JobStatus.optional(),
  name: z.string().min(1).max(128).optional(),
});

export const ListExecutionsQuery = z.strictObject({
  limit: Limit,
  cursor: z.string().max(2048).optional(),
  status: ExecutionStatus.optional(),
  from: IsoInstant.optional(),
  to: IsoInstant.optional(),
});

/** One page of a list: the items, and the cursor of the next page (`null` on the last). */
export const JobPage = listOf(Job, 'JobPage');
export const ExecutionPage = listOf(Execution, 'ExecutionPage');

export const PreviewBody = z
  .strictObject({
    schedule: Schedule,
    from: IsoInstant.optional(),
    count: z.number().int().min(1).max(1000).default(10),
  })
  .meta({ id: 'PreviewBody' });

export const PreviewResponse = z.object({ runs: z.array(z.string()) }).meta({ id: 'PreviewResponse' });
export const TriggerResponse = z.object({ executionId: z.string() }).meta({ id: 'TriggerResponse' });
/** Local runtime only (`npm start`): the recovery of the last session's queued messages, in the background. */
export const HealthRecovery = z
  .object({
    state: z.enum(['running', 'done', 'failed']),
    via: z.enum(['queue journal', 'schedule scan']),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    toResend: z.number().int().optional(),
    resent: z.number().int(),
    error: z.string().optional(),
  })
  .meta({ id: 'HealthRecovery' });
export type HealthRecovery = z.infer<typeof HealthRecovery>;
export const Health = z
  .object({ status: z.literal('ok'), recovery: HealthRecovery.optional() })
  .meta({ id: 'Health' });

export const ListDeadLettersQuery = z.strictObject({
  limit: Limit,
  cursor: z.string().max(2048).optional(),
});

/** Body of POST /v1/executions/{id}/complete, sent by a long-running (async) target. */
export const CompleteBody = z
  .strictObject({
    status: z.enum(['succeeded', 'failed']),
    error: z.string().max(2048).optional(),
  })
  .meta({ id: 'CompleteBody' });

/** Answer of POST /v1/executions/{id}/heartbeat. */
export const HeartbeatResponse = z
  .object({
    leaseUntil: z.string().describe('The lease now runs until this instant: heartbeat again before it.'),
  })
  .meta({ id: 'HeartbeatResponse' });

/** Answer of POST /v1/executions/{id}/complete. */
export const CompleteResponse = z
  .object({
    status: z
      .string()
      .describe(
        'What the outcome led to: `succeeded`, `failed`, `dead`, or `retrying` when the retry policy runs the call again.',
      ),
  })
  .meta({ id: 'CompleteResponse' });

/** A callback on an execution that was cancelled (409): the target should stop working. */
export const CancelledResponse = z.object({ cancelled: z.literal(true) }).meta({ id: 'Cancelled' });
