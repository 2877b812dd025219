/**
 * Exit codes scripts can rely on (documented in `scheduler --help` and the README).
 * 429 after the client's retries counts as a server-side condition: trying later may work.
 */
export const EXIT = {
  ok: 0,
  /** The API refused the request (4xx): bad input, unknown id, wrong state, bad key. */
  apiError: 1,
  /** The command line is wrong: unknown command or flag, missing argument, unreadable --file. */
  usage: 2,
  /** The server failed (5xx), rate-limited us past the retries, or could not be reached. */
  unavailable: 3,
} as const;

/** A mistake in the command line; the message says what to change. */
export class UsageError extends Error {}
