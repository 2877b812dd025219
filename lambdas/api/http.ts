import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { TARGET_BODY_LIMIT_BYTES } from '../../schemas/job.js';
import { isTransientDependencyError } from '../core/aws-targets.js';
import { type ErrorDetail, SchedulerError, ValidationFailed } from '../core/errors.js';
import type { Logger } from '../core/ports/logger.js';

export const REQUEST_BODY_LIMIT_BYTES = 256 * 1024;

export type Response = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): Response {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  details?: ErrorDetail[],
  headers: Record<string, string> = {},
): Response {
  return json(statusCode, { error: { code, message, ...(details?.length ? { details } : {}) } }, headers);
}

/** Raised inside the API layer for HTTP-only conditions (unknown route, bad JSON, body too large). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

const STATUS_OF_CODE: Record<string, number> = {
  validation_error: 400,
  invalid_schedule: 400,
  invalid_cursor: 400,
  target_not_allowed: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  job_limit_reached: 409,
  precondition_failed: 412,
};

/** Seconds a client is asked to wait after a 503 (the SDK has already retried with backoff). */
const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

/**
 * The one place where errors become status codes. A dependency throttled or out of reach is 503
 * with Retry-After; any other unknown error is 500 without internals.
 */
export function toErrorResponse(error: unknown, log: Logger): Response {
  if (error instanceof HttpError)
    return errorResponse(error.statusCode, error.code, error.message, error.details);
  if (error instanceof SchedulerError) {
    const status = STATUS_OF_CODE[error.code];
    if (status !== undefined) return errorResponse(status, error.code, error.message, error.details);
  }
  if (isTransientDependencyError(error)) {
    log.warn('a dependency is throttled or unavailable', {
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
    return errorResponse(
      503,
      'service_unavailable',
      'the scheduler is briefly unable to reach its storage or queues; retry the request',
      undefined,
      { 'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    );
  }
  log.error('unhandled error in api', {
    error:
      error instanceof Error
        ? { name: error.name, message: error.message, stack: error.stack }
        : String(error),
  });
  return errorResponse(
    500,
    'internal_error',
    'the scheduler failed to handle this request; it has been logged',
  );
}

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Validates with a zod schema; failure is a 400 naming every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = zodDetails(result.error);
    const first = details[0];
    throw new ValidationFailed(`invalid ${what}${first ? `: ${first.path} ${first.message}` : ''}`, details);
  }
  return result.data;
}

/** `application/json`, or any `+json` type; absent is taken as JSON too (curl without -H, old clients). */
const JSON_CONTENT_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

export function readJsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') {
    throw new HttpError(400, 'validation_error', 'request body is required (JSON)');
  }
  const type = header(event, 'content-type');
  if (type !== undefined && !JSON_CONTENT_TYPE.test(type.trim())) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'send the body as JSON with Content-Type: application/json',
    );
  }
  const text = event.isBase64Encoded ? decodeUtf8(Buffer.from(event.body, 'base64')) : event.body;
  if (Buffer.byteLength(text, 'utf8') > REQUEST_BODY_LIMIT_BYTES) {
    throw new HttpError(413, 'payload_too_large', 'request body exceeds 256 KiB');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
  const hostile = hostileJson(value);
  if (hostile)
    throw new HttpError(400, 'invalid_json', `request body refused: ${hostile.message}`, [hostile]);
  return value;
}

/**
 * For POSTs that take no input (trigger): no body, or `{}`. Anything else is refused rather than
 * ignored, so a client that believes it passes options learns that it does not.
 */
export function readNoBody(event: APIGatewayProxyEventV2): void {
  if (event.body === undefined || event.body === null || event.body === '') return;
  const value = readJsonBody(event);
  if (!isRecord(value) || Object.keys(value).length > 0) {
    throw new HttpError(400, 'validation_error', 'this endpoint takes no body (send none, or {})');
  }
}

/** A job body (create, PATCH): a target body over 64 KiB is a 413 like an oversized request (API.md). */
export function readJobBody(event: APIGatewayProxyEventV2): unknown {
  const value = readJsonBody(event);
  const target = isRecord(value) ? value.target : undefined;
  const body = isRecord(target) ? target.body : undefined;
  if (typeof body === 'string' && Buffer.byteLength(body, 'utf8') > TARGET_BODY_LIMIT_BYTES) {
    throw new HttpError(413, 'payload_too_large', 'target.body exceeds 64 KiB', [
      { path: 'target.body', message: 'must be at most 64 KiB' },
    ]);
  }
  return value;
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid UTF-8');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Far deeper than any body of this API (a job is 4 levels deep), far shallower than a stack overflow. */
export const MAX_JSON_DEPTH = 32;
/** In `u` mode a surrogate class matches only unpaired halves: text that is not Unicode. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * What makes a parsed body hostile before any schema sees it, or null: prototype-pollution keys
 * (`__proto__`, `constructor.prototype`) that a naive merge downstream would honour, nesting past
 * MAX_JSON_DEPTH, and lone surrogates (DynamoDB and UTF-8 encoders reject or mangle them).
 * Iterative, so no depth can overflow the stack.
 */
function hostileJson(root: unknown): ErrorDetail | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: '', depth: 0 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, path, depth } = next;
    const where = path || '(body)';
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value))
        return { path: where, message: 'a string holds a lone surrogate (not Unicode)' };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH)
      return { path: where, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    for (const [key, child] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '__proto__') return { path: at, message: 'the key __proto__ is not accepted' };
      if (key === 'constructor' && isRecord(child) && Object.hasOwn(child, 'prototype'))
        return { path: at, message: 'the key constructor.prototype is not accepted' };
      if (LONE_SURROGATE.test(key))
        return { path: where, message: 'a key holds a lone surrogate (not Unicode)' };
      stack.push({ value: child, path: at, depth: depth + 1 });
    }
  }
  return null;
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
