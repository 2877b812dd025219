import { createHash } from 'node:crypto';
import { canonicalJson } from './lifecycle.js';

/** How long a key remembers its first response. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/**
 * An in-progress claim older than this belongs to a request that died (a Lambda timeout or crash:
 * API Gateway gives up after 30 s); a retry with the same key may then take it over.
 */
export const IN_PROGRESS_LOCK_MS = 60_000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** A response as replayed: status, headers and body exactly as first sent. */
export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyRecord {
  tenant: string;
  /** sha256 of the scope (method and path) and the client's key: one record per tenant, route and key. */
  keyHash: string;
  /** sha256 of the request body (canonical JSON when it parses). */
  requestHash: string;
  state: 'in_progress' | 'completed';
  response?: StoredResponse;
  /** When this claim was taken (epoch ms); it also identifies the claim for complete and release. */
  createdAt: number;
  /** An in-progress claim lapses at this instant (epoch ms). */
  lockedUntil: number;
  /** Epoch seconds; the record is dead from then on whether or not DynamoDB TTL has removed it. */
  expiresAt: number;
}

export function isLive(record: IdempotencyRecord, now: number): boolean {
  if (record.expiresAt <= Math.floor(now / 1000)) return false;
  return record.state === 'completed' || record.lockedUntil > now;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function keyHashFor(scope: string, key: string): string {
  return sha256(`${scope}\n${key}`);
}

/** Bodies that differ only in whitespace or key order are the same request. */
export function requestHashFor(body: string | undefined): string {
  if (body === undefined || body === '') return sha256('');
  try {
    return sha256(`json:${canonicalJson(JSON.parse(body))}`);
  } catch {
    return sha256(`raw:${body}`);
  }
}

/** A reason the key is unusable, or null. Printable ASCII, 1–255 characters. */
export function invalidKeyReason(key: string): string | null {
  if (key.length === 0) return 'Idempotency-Key must not be empty';
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    return `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;
  if (!/^[\x20-\x7e]+$/.test(key)) return 'Idempotency-Key must be printable ASCII';
  return null;
}

export function newClaim(
  tenant: string,
  keyHash: string,
  requestHash: string,
  now: number,
): IdempotencyRecord {
  return {
    tenant,
    keyHash,
    requestHash,
    state: 'in_progress',
    createdAt: now,
    lockedUntil: now + IN_PROGRESS_LOCK_MS,
    expiresAt: Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS,
  };
}

export type ReplayDecision =
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'conflict' }
  | { kind: 'in_progress' };

/** What a request meets when a live record holds its key. */
export function decideOnExisting(existing: IdempotencyRecord, requestHash: string): ReplayDecision {
  if (existing.requestHash !== requestHash) return { kind: 'conflict' };
  if (existing.state === 'completed' && existing.response)
    return { kind: 'replay', response: existing.response };
  return { kind: 'in_progress' };
}

/**
 * Whether a response is remembered. Server failures (5xx) and rate limiting (429) are not: the
 * client is meant to retry those, and the retry must run, not replay the failure.
 */
export function isRemembered(statusCode: number): boolean {
  return statusCode < 500 && statusCode !== 429;
}
