/**
 * The client's view of the API's resources. Types come from the zod schemas (`schemas/`), the
 * single source of truth, as type-only imports: the client needs no zod at run time.
 */
import type { CreateJobBody, ExecutionStatus, JobStatus } from '../schemas/job.js';

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

/** `PATCH /v1/jobs/{id}`: any mutable field of the definition. */
export type JobPatch = Partial<CreateJobBody>;

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

export interface PreviewRequest {
  schedule: ScheduleInput;
  from?: string;
  /** 1–1000, default 10. */
  count?: number;
}

export interface PreviewResponse {
  runs: string[];
}

export interface TriggerResponse {
  executionId: string;
}

export interface CompleteRequest {
  status: 'succeeded' | 'failed';
  error?: string;
}
