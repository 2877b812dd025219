/**
 * The client's view of the API's resources. Types come from the zod schemas (`schemas/`), the
 * single source of truth, as type-only imports: the client needs no zod at run time. What a client
 * sends is the schema's input (fields with a default may be left out); what it receives is the
 * schema's output (defaults filled in) — the same rule as the OpenAPI document.
 */
import type { z } from 'zod';
import type {
  CompleteBody,
  CompleteResponse as CompleteResponseSchema,
  Health as HealthSchema,
  HeartbeatResponse as HeartbeatResponseSchema,
  PreviewBody,
  PreviewResponse as PreviewResponseSchema,
  TriggerResponse as TriggerResponseSchema,
} from '../schemas/api.js';
import type { CreateJobBody, ExecutionStatus, JobStatus, PatchJobBody } from '../schemas/job.js';

export type { Execution, Trigger } from '../schemas/execution.js';
export type {
  CreateJobBody,
  ExecutionStatus,
  HttpTarget,
  Job,
  JobStatus,
  Schedule,
  Target,
} from '../schemas/job.js';
export type {
  AwsTarget,
  AwsTargetType,
  EventBridgeTarget,
  LambdaTarget,
  SnsTarget,
  SqsTarget,
  StepFunctionsTarget,
} from '../schemas/targets.js';

/** `PATCH /v1/jobs/{id}`: any mutable field of the definition; `null` clears `name` or `concurrency`. */
export type JobPatch = z.input<typeof PatchJobBody>;

/** One page of a cursor-paginated list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageQuery {
  /** 1–100; the API's default is 50. */
  limit?: number;
  cursor?: string;
}

export interface ListJobsQuery extends PageQuery {
  status?: JobStatus;
  /** Name prefix. */
  name?: string;
}

export interface ListExecutionsQuery extends PageQuery {
  status?: ExecutionStatus;
  /** ISO instants bounding `scheduledAt`. */
  from?: string;
  to?: string;
}

/** A schedule as a request may give it (defaults such as the cron timezone may be left out). */
export type ScheduleInput = CreateJobBody['schedule'];

/** `POST /v1/schedules/preview`: `count` is 1–1000, default 10; `from` defaults to now. */
export type PreviewRequest = z.input<typeof PreviewBody>;
export type PreviewResponse = z.output<typeof PreviewResponseSchema>;
export type TriggerResponse = z.output<typeof TriggerResponseSchema>;
export type CompleteRequest = z.input<typeof CompleteBody>;
export type CompleteResponse = z.output<typeof CompleteResponseSchema>;
export type HeartbeatResponse = z.output<typeof HeartbeatResponseSchema>;
/** `GET /healthz`; `recovery` only from the local runtime (`npm start`) after a restart. */
export type Health = z.output<typeof HealthSchema>;
