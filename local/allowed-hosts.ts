import { inCidr, normalizeHost, parseCidr, parseIp } from '../lambdas/core/ssrf.js';

/**
 * The `Host` names the local server answers (docs/security.md, "DNS rebinding"): a web page whose
 * name an attacker re-points at 127.0.0.1 reaches the server, but its requests still name the
 * attacker's host, so they are refused. Loopback names and addresses always pass; other names
 * only when listed in SCHEDULER_ALLOWED_HOSTS.
 */
export type AllowedHosts = ReadonlySet<string>;

const LOOPBACK = [parseCidr('127.0.0.0/8')!, parseCidr('::1/128')!];
/** A DNS name: labels of letters, digits and hyphens (underscores too, as some internal names have). */
const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** SCHEDULER_ALLOWED_HOSTS: comma-separated host names or addresses, without ports. Throws on a bad entry. */
export function parseAllowedHosts(value: string | undefined): AllowedHosts {
  const hosts = new Set<string>();
  for (const entry of (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const host = normalizeHost(entry);
    if (!HOST_NAME.test(host) && !parseIp(host)) {
      throw new Error(
        `SCHEDULER_ALLOWED_HOSTS entry "${entry}" is not a host name or address (give no scheme or port)`,
      );
    }
    hosts.add(host);
  }
  return hosts;
}

/** The host part of a `Host` header (`name`, `name:port`, `[v6]:port`), normalised; null when malformed. */
function hostOf(header: string): string | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim());
  return match ? normalizeHost(match[1]!) : null;
}

/** Whether a request's `Host` header names this server: a loopback name or address, or a listed one. */
export function isAllowedHost(header: string | undefined, allowed: AllowedHosts): boolean {
  if (header === undefined) return false;
  const host = hostOf(header);
  if (host === null || host === '') return false;
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const ip = parseIp(host);
  if (ip && LOOPBACK.some((range) => inCidr(ip, range))) return true;
  return allowed.has(host);
}
