/**
 * Credentials in job definitions (docs/security.md, "Secrets"). Target headers are stored as given —
 * the scheduler must send them — and every API response shows a sensitive one as `***`.
 */

/** What a response shows instead of a sensitive header's value. */
export const REDACTED = '***';

/** Names that carry credentials: authorization, cookies, API keys, and anything named like a token or secret. */
const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|apikey)$|auth|token|secret|passw|credential|session|signature|api[-_]?key|private[-_]?key/i;

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = isSensitiveHeader(name) ? REDACTED : value;
  return out;
}

/**
 * For an update that sends back a job it read: a sensitive header whose value is still `***` keeps
 * the stored value (matched by name, case-insensitively), so a read-modify-write round trip never
 * replaces a credential with the mask.
 */
export function restoreRedactedHeaders(
  incoming: Record<string, string>,
  stored: Record<string, string>,
): Record<string, string> {
  const storedByName = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    const previous = storedByName.get(name.toLowerCase());
    out[name] = value === REDACTED && isSensitiveHeader(name) && previous !== undefined ? previous : value;
  }
  return out;
}
