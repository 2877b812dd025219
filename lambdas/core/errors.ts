/**
 * Typed domain errors. The API maps each one to a status code in one place
 * (toErrorResponse in lambdas/api/http.ts); nothing below the handler builds HTTP responses.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export abstract class SchedulerError extends Error {
  abstract readonly code: string;
  readonly details: ErrorDetail[];
  constructor(message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** Input that is well-formed JSON but not acceptable (400). */
export class ValidationFailed extends SchedulerError {
  readonly code = 'validation_error';
}

/** A list cursor this list did not issue: forged, altered, or another list's or tenant's (400). */
export class InvalidCursor extends SchedulerError {
  readonly code = 'invalid_cursor';
  constructor() {
    super('cursor is not valid for this list; start again without one', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  }
}

/** A schedule that cannot be computed: bad cron, unknown timezone, empty window (400). */
export class InvalidSchedule extends SchedulerError {
  readonly code = 'invalid_schedule';
}

export class JobNotFound extends SchedulerError {
  readonly code = 'not_found';
  constructor(jobId: string) {
    super(`job ${jobId} not found`);
  }
}

export class ExecutionNotFound extends SchedulerError {
  readonly code = 'not_found';
  constructor(executionId: string) {
    super(`execution ${executionId} not found`);
  }
}

/** The resource is in a state that forbids the operation (409). */
export class InvalidState extends SchedulerError {
  readonly code = 'conflict';
}

/** `If-Match` named a version that is not the current one (412). */
export class VersionConflict extends SchedulerError {
  readonly code = 'precondition_failed';
}

/** A callback without a valid execution token (401). */
export class Unauthorized extends SchedulerError {
  readonly code = 'unauthorized';
}

/** A target or webhook URL the SSRF rules refuse (400); the message names the rule. */
export class TargetNotAllowed extends SchedulerError {
  readonly code = 'target_not_allowed';
}

/** The tenant holds as many active and paused jobs as its limit allows (409). */
export class JobLimitReached extends SchedulerError {
  readonly code = 'job_limit_reached';
}

/** A conditional write lost a race inside a store; services retry or report it. */
export class ConditionFailed extends SchedulerError {
  readonly code = 'condition_failed';
}
