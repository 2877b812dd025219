import { z } from 'zod';
import { IsoInstant } from './common.js';
import { ExecutionStatus, JobStatus, Schedule } from './job.js';

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

export const PreviewBody = z
  .strictObject({
    schedule: Schedule,
    from: IsoInstant.optional(),
    count: z.number().int().min(1).max(1000).default(10),
  })
  .meta({ id: 'PreviewBody' });

export const PreviewResponse = z.object({ runs: z.array(z.string()) }).meta({ id: 'PreviewResponse' });
export const TriggerResponse = z.object({ executionId: z.string() }).meta({ id: 'TriggerResponse' });
export const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

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
