/** A detail of a validation error: the field path and what is wrong with it. */
export interface ApiErrorDetail {
  path: string;
  message: string;
}

/** Base class of everything the client throws. */
export class SchedulerClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The API answered with an error status: carries the API's `{"error":{code,message,details}}`,
 * the HTTP status and, for 429/503, how long the server asked to wait.
 */
export class SchedulerApiError extends SchedulerClientError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ApiErrorDetail[] = [],
    readonly retryAfterMs: number | undefined = undefined,
    readonly requestId: string | undefined = undefined,
  ) {
    super(message);
  }

  /** 4xx: the request is wrong or the resource is in the wrong state; repeating it will not help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 429;
  }
}

/** No usable answer: connection refused or reset, DNS failure, or the per-request timeout. */
export class SchedulerNetworkError extends SchedulerClientError {
  constructor(
    message: string,
    readonly timedOut: boolean,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}
