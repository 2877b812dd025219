import { apiKeyAuth, noAuth, type OutgoingRequest, type RequestAuth } from './auth.js';
import { type ApiErrorDetail, SchedulerApiError, SchedulerNetworkError } from './errors.js';
import { type PaginateOptions, paginate } from './paginate.js';
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
} from './retry.js';
import type {
  CompleteRequest,
  CompleteResponse,
  CreateJobBody,
  Execution,
  Health,
  HeartbeatResponse,
  Job,
  JobPatch,
  ListExecutionsQuery,
  ListJobsQuery,
  Page,
  PageQuery,
  PreviewRequest,
  PreviewResponse,
  TriggerResponse,
} from './types.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface SchedulerClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:3000` or `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  endpoint: string;
  /** The local runtime's key; shorthand for `auth: apiKeyAuth(key)`. */
  apiKey?: string;
  /** How requests are authenticated (`sigV4Auth()` for AWS); defaults to the API key, else none. */
  auth?: RequestAuth;
  retry?: Partial<RetryPolicy>;
  /** Per attempt. */
  timeoutMs?: number;
  /** Extra headers on every request (a JWT `authorization`, a user agent). */
  headers?: Record<string, string>;
  /** Injected for tests; the global fetch by default. */
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Generates `Idempotency-Key`s for POSTs that create something (reused across retries). */
  idempotencyKey?: () => string;
}

export interface RequestOptions {
  /** Overrides the generated `Idempotency-Key` (create, trigger, replay). */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send an Idempotency-Key so that repeating the request after a lost answer is safe. */
  idempotent?: boolean;
  options?: RequestOptions;
}

/** A response that is not the API's error shape still becomes a SchedulerApiError with a useful message. */
function errorOf(status: number, text: string, retryAfterMs: number | undefined, requestId?: string) {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const error = parsed.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      const details = Array.isArray(error.details) ? (error.details as ApiErrorDetail[]) : [];
      return new SchedulerApiError(status, error.code, error.message, details, retryAfterMs, requestId);
    }
    if (status === 409 && (parsed as { cancelled?: unknown }).cancelled === true) {
      return new SchedulerApiError(status, 'cancelled', 'the execution was cancelled', [], retryAfterMs);
    }
  } catch {
    // not JSON: a proxy or load balancer answered
  }
  const snippet = text.trim().slice(0, 200);
  return new SchedulerApiError(
    status,
    `http_${status}`,
    snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`,
    [],
    retryAfterMs,
    requestId,
  );
}

const encode = encodeURIComponent;

/**
 * A typed client for the scheduler's HTTP API (API.md). Retries 429 and 5xx answers and
 * network failures with exponential backoff, honouring `Retry-After`; throws SchedulerApiError
 * with the API's error code, message and field details.
 */
export class SchedulerClient {
  readonly endpoint: string;
  private readonly auth: RequestAuth;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly newKey: () => string;
  private readonly headers: Record<string, string>;

  constructor(options: SchedulerClientOptions) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint);
    } catch {
      throw new TypeError(`endpoint "${options.endpoint}" is not a URL`);
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')
      throw new TypeError(`endpoint "${options.endpoint}" must be http or https`);
    this.endpoint = endpoint.href.replace(/\/+$/, '');
    this.auth = options.auth ?? (options.apiKey ? apiKeyAuth(options.apiKey) : noAuth);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.newKey = options.idempotencyKey ?? (() => crypto.randomUUID());
    this.headers = options.headers ?? {};
  }

  // Jobs

  createJob(job: CreateJobBody, options?: RequestOptions): Promise<Job> {
    return this.call({ method: 'POST', path: '/v1/jobs', body: job, idempotent: true, options });
  }

  getJob(jobId: string, options?: RequestOptions): Promise<Job> {
    return this.call({ method: 'GET', path: `/v1/jobs/${encode(jobId)}`, options });
  }

  listJobs(query: ListJobsQuery = {}, options?: RequestOptions): Promise<Page<Job>> {
    return this.call({ method: 'GET', path: '/v1/jobs', query: { ...query }, options });
  }

  /** Every job matching the filters, page after page. */
  iterateJobs(query: Omit<ListJobsQuery, 'cursor' | 'limit'> = {}, options: PaginateOptions = {}) {
    return paginate(
      (cursor, limit) => this.listJobs({ ...query, limit, ...(cursor ? { cursor } : {}) }),
      options,
    );
  }

  /** Changes mutable fields; `ifMatch` (the job's `version`) makes it fail with 412 if someone else changed it. */
  updateJob(
    jobId: string,
    patch: JobPatch,
    options: RequestOptions & { ifMatch?: number } = {},
  ): Promise<Job> {
    return this.call({
      method: 'PATCH',
      path: `/v1/jobs/${encode(jobId)}`,
      body: patch,
      headers: options.ifMatch === undefined ? {} : { 'if-match': `"${options.ifMatch}"` },
      options,
    });
  }

  pauseJob(jobId: string, options?: RequestOptions): Promise<Job> {
    return this.call({ method: 'POST', path: `/v1/jobs/${encode(jobId)}/pause`, options });
  }

  resumeJob(jobId: string, options?: RequestOptions): Promise<Job> {
    return this.call({ method: 'POST', path: `/v1/jobs/${encode(jobId)}/resume`, options });
  }

  /** No further runs; a run in flight is cancelled too. Repeating it is fine. */
  cancelJob(jobId: string, options?: RequestOptions): Promise<Job> {
    return this.call({ method: 'DELETE', path: `/v1/jobs/${encode(jobId)}`, options });
  }

  triggerJob(jobId: string, options?: RequestOptions): Promise<TriggerResponse> {
    return this.call({
      method: 'POST',
      path: `/v1/jobs/${encode(jobId)}/trigger`,
      idempotent: true,
      options,
    });
  }

  // Executions

  /** One page of a job's history, newest first. */
  listJobExecutions(
    jobId: string,
    query: ListExecutionsQuery = {},
    options?: RequestOptions,
  ): Promise<Page<Execution>> {
    return this.call({
      method: 'GET',
      path: `/v1/jobs/${encode(jobId)}/executions`,
      query: { ...query },
      options,
    });
  }

  /** The same as `listJobExecutions` (its first name; the OpenAPI operation is `listJobExecutions`). */
  readonly listExecutions = this.listJobExecutions;

  /** A job's history, newest first, page after page. */
  iterateExecutions(
    jobId: string,
    query: Omit<ListExecutionsQuery, 'cursor' | 'limit'> = {},
    options: PaginateOptions = {},
  ) {
    return paginate(
      (cursor, limit) => this.listJobExecutions(jobId, { ...query, limit, ...(cursor ? { cursor } : {}) }),
      options,
    );
  }

  getExecution(executionId: string, options?: RequestOptions): Promise<Execution> {
    return this.call({ method: 'GET', path: `/v1/executions/${encode(executionId)}`, options });
  }

  cancelExecution(executionId: string, options?: RequestOptions): Promise<Execution> {
    return this.call({ method: 'POST', path: `/v1/executions/${encode(executionId)}/cancel`, options });
  }

  // Dead letters

  listDeadLetters(query: PageQuery = {}, options?: RequestOptions): Promise<Page<Execution>> {
    return this.call({ method: 'GET', path: '/v1/dead-letters', query: { ...query }, options });
  }

  iterateDeadLetters(options: PaginateOptions = {}) {
    return paginate(
      (cursor, limit) => this.listDeadLetters({ limit, ...(cursor ? { cursor } : {}) }),
      options,
    );
  }

  /** Runs a dead execution again as a new attempt series. */
  replayDeadLetter(executionId: string, options?: RequestOptions): Promise<Execution> {
    return this.call({
      method: 'POST',
      path: `/v1/dead-letters/${encode(executionId)}/replay`,
      idempotent: true,
      options,
    });
  }

  // Callbacks of long-running targets (authenticated by the execution's callback token)

  heartbeat(
    executionId: string,
    callbackToken: string,
    options?: RequestOptions,
  ): Promise<HeartbeatResponse> {
    return this.callback('heartbeat', executionId, callbackToken, undefined, options);
  }

  complete(
    executionId: string,
    callbackToken: string,
    result: CompleteRequest,
    options?: RequestOptions,
  ): Promise<CompleteResponse> {
    return this.callback('complete', executionId, callbackToken, result, options);
  }

  /** A long-running target's call about its execution: the execution's token stands for the credentials. */
  private callback<T>(
    verb: 'heartbeat' | 'complete',
    executionId: string,
    callbackToken: string,
    body: CompleteRequest | undefined,
    options: RequestOptions | undefined,
  ): Promise<T> {
    return this.call({
      method: 'POST',
      path: `/v1/executions/${encode(executionId)}/${verb}`,
      body,
      headers: { 'x-scheduler-callback-token': callbackToken },
      options,
    });
  }

  // Schedules and service

  previewSchedule(request: PreviewRequest, options?: RequestOptions): Promise<PreviewResponse> {
    return this.call({ method: 'POST', path: '/v1/schedules/preview', body: request, options });
  }

  health(options?: RequestOptions): Promise<Health> {
    return this.call({ method: 'GET', path: '/healthz', options });
  }

  openApi(options?: RequestOptions): Promise<Record<string, unknown>> {
    return this.call({ method: 'GET', path: '/v1/openapi.json', options });
  }

  private async call<T>(call: Call): Promise<T> {
    const url = new URL(`${this.endpoint}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.headers,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(call.idempotent ? { 'idempotency-key': call.options?.idempotencyKey ?? this.newKey() } : {}),
      ...call.headers,
    };
    for (let retry = 0; ; retry += 1) {
      const request: OutgoingRequest = {
        method: call.method,
        url,
        headers,
        ...(body === undefined ? {} : { body }),
      };
      let failure: SchedulerApiError | SchedulerNetworkError;
      let waitMs: number | undefined;
      try {
        const response = await this.send(request, call.options?.signal);
        const text = await response.text();
        if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.now());
        failure = errorOf(
          response.status,
          text,
          retryAfterMs,
          response.headers.get('x-amzn-requestid') ?? response.headers.get('apigw-requestid') ?? undefined,
        );
        if (!isRetryableStatus(response.status)) throw failure;
        waitMs = retryAfterMs;
      } catch (error) {
        if (error instanceof SchedulerApiError) throw error;
        if (call.options?.signal?.aborted) throw error;
        failure = this.networkError(error, url);
      }
      if (retry >= this.retry.maxRetries) throw failure;
      if (waitMs !== undefined && waitMs > this.retry.maxRetryAfterMs) throw failure;
      await this.sleep(waitMs ?? backoffDelay(retry, this.retry, this.random));
    }
  }

  private async send(request: OutgoingRequest, signal: AbortSignal | undefined): Promise<Response> {
    const authHeaders = await this.auth.headersFor(request);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return this.fetchImpl(request.url.href, {
      method: request.method,
      headers: { ...request.headers, ...authHeaders },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  }

  private networkError(error: unknown, url: URL): SchedulerNetworkError {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    if (timedOut)
      return new SchedulerNetworkError(
        `no answer from ${url.origin} within ${this.timeoutMs} ms`,
        true,
        error,
      );
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
    if (reason === 'bad port')
      // fetch refuses ports of other protocols (1, 9, 25, 6000, …) before connecting.
      return new SchedulerNetworkError(
        `cannot reach ${url.origin}: fetch does not connect to port ${url.port} (a blocked port)`,
        false,
        error,
      );
    return new SchedulerNetworkError(`cannot reach ${url.origin}: ${reason}`, false, error);
  }
}
