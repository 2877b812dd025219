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

/** The base of an error that answers with `code`: `class InvalidState extends withCode('conflict') {}`. */
function withCode<const Code extends string>(code: Code) {
  abstract class Coded extends SchedulerError {
    readonly code: Code = code;
  }
  return Coded;
}

/** Input that is well-formed JSON but not acceptable (400). */
export class ValidationFailed extends withCode('validation_error') {}

/** A list cursor this list did not issue: forged, altered, or another list's or tenant's (400). */
export class InvalidCursor extends withCode('invalid_cursor') {
  constructor() {
    super('cursor is not valid for this list; start again without one', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  }
}

/** A schedule that cannot be computed: bad cron, unknown timezone, empty window (400). */
export class InvalidSchedule extends withCode('invalid_schedule') {}

export class JobNotFound extends withCode('not_found') {
  constructor(jobId: string) {
    super(`job ${jobId} not found`);
  }
}

export class ExecutionNotFound extends withCode('not_found') {
  constructor(executionId: string) {
    super(`execution ${executionId} not found`);
  }
}

/** The resource is in a state that forbids the operation (409). */
export class InvalidState extends withCode('conflict') {}

/** `If-Match` named a version that is not the current one (412). */
export class VersionConflict extends withCode('precondition_failed') {}

/** A callback without a valid execution token (401). */
export class Unauthorized extends withCode('unauthorized') {}

/** A target or webhook URL the SSRF rules refuse (400); the message names the rule. */
export class TargetNotAllowed extends withCode('target_not_allowed') {}

/** The tenant holds as many active and paused jobs as its limit allows (409). */
export class JobLimitReached extends withCode('job_limit_reached') {}

/** A conditional write lost a race inside a store; services retry or report it. */
export class ConditionFailed extends withCode('condition_failed') {}
