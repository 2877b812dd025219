import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ExecutionId, JobId } from '../../schemas/common.js';
import { ExecutionNotFound, JobNotFound } from '../core/errors.js';
import { errorResponse, HttpError, type Response } from './http.js';

export type Params = Record<string, string>;

export interface RouteContext {
  event: APIGatewayProxyEventV2;
  params: Params;
  /** The caller's tenant; empty on routes that authenticate otherwise (`auth: false`). */
  tenant: string;
}

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  /** False for health, the OpenAPI document and the execution callbacks (their own token). */
  auth: boolean;
  run: (ctx: RouteContext) => Promise<Response>;
}

/** A route for `METHOD /path/{param}`. */
export function route(method: string, path: string, run: Route['run'], auth = true): Route {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { method, pattern, names, auth, run };
}

/** How much of a malformed id an error message repeats. */
const SHOWN_ID_CHARS = 64;

/**
 * Path ids are checked for shape before any store read: an id that no job or execution can have
 * (overlong, malformed) names nothing, so it is 404 like an unknown one — and never reaches
 * DynamoDB, which refuses a key over 1 KiB with an exception.
 */
export function assertIdShapes(params: Params): void {
  const shown = (id: string) => (id.length > SHOWN_ID_CHARS ? `${id.slice(0, SHOWN_ID_CHARS)}…` : id);
  const { jobId, executionId } = params;
  if (jobId !== undefined && !JobId.safeParse(jobId).success) throw new JobNotFound(shown(jobId));
  if (executionId !== undefined && !ExecutionId.safeParse(executionId).success) {
    throw new ExecutionNotFound(shown(executionId));
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'validation_error', 'path contains invalid percent-encoding');
  }
}

/**
 * The route for a request and its path parameters (decoded; their shape is checked once the caller
 * is known, assertIdShapes), or the answer when none fits: 404 for an unknown path, 405 naming the
 * methods the path takes.
 */
export function matchRoute(
  routes: Route[],
  method: string,
  rawPath: string,
): { route: Route; params: Params; path: string } | Response {
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  const matching = routes.filter((r) => r.pattern.test(path));
  if (matching.length === 0) throw new HttpError(404, 'not_found', `no route for ${path}`);
  const chosen = matching.find((r) => r.method === method);
  if (!chosen) {
    const allowed = matching.map((r) => r.method).join(', ');
    return errorResponse(405, 'method_not_allowed', `${method} is not allowed on ${path}`, [], {
      allow: allowed,
    });
  }
  const values = chosen.pattern.exec(path)!.slice(1);
  const params: Params = {};
  chosen.names.forEach((name, i) => {
    params[name] = decodeSegment(values[i] ?? '');
  });
  return { route: chosen, params, path };
}
