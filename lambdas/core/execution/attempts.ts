import type { Attempt } from '../../../schemas/execution.js';
import type { ExecutionStatus, RetryPolicy } from '../../../schemas/job.js';
import type { ExecutionRecord } from '../../../schemas/records.js';
import { isPermanentFailure } from '../aws-targets.js';
import { backoffDelayMs, isRetryable } from '../backoff.js';
import type { TargetOutcome } from '../ports/aws-target-caller.js';
import type { HttpOutcome } from '../ports/http-caller.js';
import { isTargetRefusal } from '../ssrf.js';
import { iso, ms } from '../time.js';

/**
 * An attempt's error is kept to this many UTF-8 bytes, so an execution with three failed attempts
 * stays under 1 KB (one write unit per claim and per result).
 */
export const ATTEMPT_ERROR_MAX_BYTES = 96;

/** The error as an attempt keeps it: cut at a character boundary and marked with `…` when longer. */
export function cappedError(error: string | null): string | null {
  if (error === null || Buffer.byteLength(error, 'utf8') <= ATTEMPT_ERROR_MAX_BYTES) return error;
  let kept = '';
  for (const char of error) {
    if (Buffer.byteLength(`${kept}${char}…`, 'utf8') > ATTEMPT_ERROR_MAX_BYTES) break;
    kept += char;
  }
  return `${kept}…`;
}

/** 202 {"async":true}: the target takes over and reports through heartbeat/complete. */
export function isAsyncAcceptance(outcome: HttpOutcome): boolean {
  if (outcome.kind !== 'response' || outcome.statusCode !== 202) return false;
  try {
    return (JSON.parse(outcome.body) as { async?: unknown })?.async === true;
  } catch {
    return false;
  }
}

function attemptStatus(outcome: HttpOutcome): Attempt['status'] {
  if (outcome.kind === 'error')
    return outcome.timedOut ? 'timed_out' : outcome.aborted ? 'cancelled' : 'failed';
  return outcome.statusCode >= 200 && outcome.statusCode < 300 ? 'succeeded' : 'failed';
}

/** What went wrong with an attempt, or null when it succeeded. A redirect names where it pointed. */
function attemptError(outcome: HttpOutcome): string | null {
  if (outcome.kind === 'error') return outcome.error;
  const code = outcome.statusCode;
  if (code < 300) return null;
  if (code >= 400) return `HTTP ${code}`;
  if (outcome.location === undefined) return `HTTP ${code}: redirect without a Location, not followed`;
  // The advice first and the Location last: the attempt's error cap cuts a long Location, not the advice.
  return `HTTP ${code}: redirect not followed (use the final URL): ${outcome.location}`;
}

/** The attempt a target call made, from its start and end and what the target answered. */
export function attemptOf(
  attempt: number,
  outcome: TargetOutcome,
  started: number,
  finished: number,
  interrupted?: string,
): Attempt {
  return {
    attempt,
    startedAt: iso(started),
    finishedAt: iso(finished),
    status: interrupted ? 'failed' : attemptStatus(outcome),
    statusCode: outcome.kind === 'response' ? outcome.statusCode : null,
    error: cappedError(interrupted ? `interrupted: ${interrupted}` : attemptError(outcome)),
    durationMs: outcome.durationMs,
    ...(outcome.response ? { response: outcome.response } : {}),
  };
}

/** The open attempt of a run an async target took over (202): it ends with a callback or a lost lease. */
export function openAttempt(attempt: number, started: number): Attempt {
  return {
    attempt,
    startedAt: iso(started),
    finishedAt: null,
    status: 'running',
    statusCode: 202,
    error: null,
    durationMs: null,
  };
}

/**
 * The attempt a lost lease ends: the open attempt of a silent async target, or the one a stopped
 * executor never recorded. Returns the execution without that open attempt, and the failed attempt.
 */
export function lostAttempt(
  current: ExecutionRecord,
  now: number,
): { execution: ExecutionRecord; attempt: Attempt } {
  const last = current.attempts.at(-1);
  if (last?.status === 'running') {
    return {
      execution: { ...current, attempts: current.attempts.slice(0, -1) },
      attempt: {
        ...last,
        finishedAt: iso(now),
        status: 'failed',
        error: 'lease expired: no heartbeat or completion in time',
      },
    };
  }
  return {
    execution: current,
    attempt: {
      attempt: current.attempts.length + 1,
      startedAt: current.startedAt ?? iso(now),
      finishedAt: iso(now),
      status: 'failed',
      statusCode: null,
      error: 'lease expired: the executor stopped before recording a result',
      durationMs: null,
    },
  };
}

/** The open attempt of an async run, closed by the target's `complete` callback. */
export function completedAttempt(
  open: Attempt,
  result: { status: 'succeeded' | 'failed'; error?: string },
  now: number,
): Attempt {
  return {
    ...open,
    finishedAt: iso(now),
    status: result.status,
    error: result.status === 'failed' ? cappedError(result.error ?? 'the target reported a failure') : null,
    durationMs: now - ms(open.startedAt),
  };
}

/** What an attempt leaves the execution as: final, or waiting for its next attempt. */
export type AttemptVerdict =
  | { kind: 'final'; status: ExecutionStatus }
  | { kind: 'retry'; nextAttemptAt: number };

/**
 * The retry policy applied to an attempt. `spent` counts the attempts of the current series
 * (a replay starts a new one). A target the SSRF rules refused at call time stays refused, and an
 * AWS error that cannot pass is not retried: retrying would only probe again.
 */
export function verdictOf(
  attempt: Attempt,
  spent: number,
  retry: RetryPolicy,
  now: number,
  random: () => number,
): AttemptVerdict {
  if (attempt.status === 'cancelled') return { kind: 'final', status: 'cancelled' };
  if (attempt.status === 'succeeded') return { kind: 'final', status: 'succeeded' };
  const retryable =
    !isTargetRefusal(attempt.error) &&
    !isPermanentFailure(attempt.error) &&
    isRetryable({ statusCode: attempt.statusCode, timedOut: attempt.status === 'timed_out' }, retry);
  if (retryable && spent < retry.maxAttempts) {
    return { kind: 'retry', nextAttemptAt: now + backoffDelayMs(retry, spent + 1, random) };
  }
  const exhausted = retryable && retry.maxAttempts > 1;
  return {
    kind: 'final',
    status: exhausted ? 'dead' : attempt.status === 'timed_out' ? 'timed_out' : 'failed',
  };
}
