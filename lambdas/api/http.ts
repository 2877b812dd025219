import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { type ErrorDetail, SchedulerError, ValidationFailed } from '../core/errors.js';
import type { Logger } from '../services/deps.js';

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
  target_not_allowed: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  job_limit_reached: 409,
  precondition_failed: 412,
};

/** The one place where errors become status codes. Unknown errors are 500 without internals. */
export function toErrorResponse(error: unknown, log: Logger): Response {
  if (error instanceof HttpError)
    return errorResponse(error.statusCode, error.code, error.message, error.details);
  if (error instanceof SchedulerError) {
    const status = STATUS_OF_CODE[error.code];
    if (status !== undefined) return errorResponse(status, error.code, error.message, error.details);
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

export function readJsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') {
    throw new HttpError(400, 'validation_error', 'request body is required (JSON)');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > REQUEST_BODY_LIMIT_BYTES) {
    throw new HttpError(413, 'payload_too_large', 'request body exceeds 256 KiB');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
