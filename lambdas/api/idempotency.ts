import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  decideOnExisting,
  invalidKeyReason,
  isRemembered,
  keyHashFor,
  newClaim,
  requestHashFor,
  type StoredResponse,
} from '../core/idempotency.js';
import type { Clock } from '../core/ports/clock.js';
import type { IdempotencyStore } from '../core/ports/idempotency-store.js';
import type { Logger } from '../core/ports/logger.js';
import { errorResponse, HttpError, header, type Response } from './http.js';

export interface IdempotencyDeps {
  store: IdempotencyStore;
  clock: Clock;
}

/**
 * Runs a POST under its `Idempotency-Key` (no header: runs it plainly). The key is scoped to the
 * tenant and the route (method and path). The first request claims the key with a conditional
 * write and its response is stored for 24 h; the same key with the same body gets that response
 * again (`Idempotent-Replayed: true`), another body gets 409 `idempotency_conflict`, and a request
 * arriving while the first is still running gets 409 `idempotency_in_progress` with `Retry-After`.
 * 5xx and 429 answers are not stored: the claim is released so a retry really runs.
 */
export async function runIdempotently(
  deps: IdempotencyDeps,
  log: Logger,
  event: APIGatewayProxyEventV2,
  tenant: string,
  scope: string,
  respond: () => Promise<Response>,
): Promise<Response> {
  const key = header(event, 'idempotency-key');
  if (key === undefined) return respond();
  const reason = invalidKeyReason(key);
  if (reason) {
    throw new HttpError(400, 'validation_error', reason, [{ path: 'Idempotency-Key', message: reason }]);
  }
  const now = deps.clock.now();
  const claim = newClaim(tenant, keyHashFor(scope, key), requestHashFor(rawBody(event)), now);
  const result = await deps.store.claim(claim, now);
  if (!result.claimed) {
    const decision = decideOnExisting(result.existing, claim.requestHash);
    if (decision.kind === 'replay') {
      const { statusCode, headers, body } = decision.response;
      return { statusCode, headers: { ...headers, 'idempotent-replayed': 'true' }, body };
    }
    if (decision.kind === 'conflict') {
      throw new HttpError(
        409,
        'idempotency_conflict',
        'this Idempotency-Key was used with a different request body in the last 24 hours; use a new key',
      );
    }
    return errorResponse(
      409,
      'idempotency_in_progress',
      'a request with this Idempotency-Key is still being processed; retry shortly',
      [],
      { 'retry-after': '1' },
    );
  }
  let response: Response;
  try {
    response = await respond();
  } catch (error) {
    await deps.store.release(claim).catch(() => undefined);
    throw error;
  }
  const statusCode = response.statusCode ?? 200;
  try {
    if (isRemembered(statusCode)) {
      await deps.store.complete({ ...claim, state: 'completed', response: storedOf(response, statusCode) });
    } else {
      await deps.store.release(claim);
    }
  } catch (error) {
    // The request itself succeeded; the claim lapses after its lock and a retry runs again.
    log.error('idempotency record not written', { error: String(error) });
  }
  return response;
}

function rawBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function storedOf(response: Response, statusCode: number): StoredResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = String(value);
  return { statusCode, headers, body: response.body ?? '' };
}
