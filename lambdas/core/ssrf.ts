/**
 * Which targets the scheduler may call (docs/security.md, "SSRF"). Pure: parsing and classification
 * only; the HTTP caller resolves names and applies these rules to every address it may connect to.
 */

/** Prefix of every refusal, in the API error code and in a refused attempt's `error`. */
export const TARGET_NOT_ALLOWED = 'target_not_allowed';

export type Verdict = { allowed: true } | { allowed: false; reason: string };

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  bits: number;
}

/** SCHEDULER_TARGET_ALLOWLIST, compiled: CIDRs, exact host names and `*.suffix` host names. */
export interface TargetAllowlist {
  cidrs: Cidr[];
  hosts: Set<string>;
  /** `.example.com` for an entry `*.example.com`. */
  suffixes: string[];
}

export const EMPTY_ALLOWLIST: TargetAllowlist = { cidrs: [], hosts: new Set(), suffixes: [] };

const ALLOWED: Verdict = { allowed: true };

export function parseIpv4(text: string): IpAddress | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Leading zeros are octal to some resolvers and decimal to others: refuse the ambiguity.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return { family: 4, bytes };
}

export function parseIpv6(text: string): IpAddress | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return null;
        out.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

/** An IPv4 or IPv6 literal (IPv6 with or without the URL's brackets), or null. */
export function parseIp(text: string): IpAddress | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return bare.includes(':') ? parseIpv6(bare) : parseIpv4(bare);
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [...ip.bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i]! << 8) | ip.bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  if (slash < 0) return { ...ip, bits: max };
  const bitsText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  return bits <= max ? { ...ip, bits } : null;
}

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad built-in CIDR ${text}`);
  return parsed;
}

export function inCidr(ip: IpAddress, range: Cidr): boolean {
  if (ip.family !== range.family) return false;
  const full = range.bits >> 3;
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== range.bytes[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[full]! & mask) === (range.bytes[full]! & mask);
}

/** IPv6 prefixes that carry an IPv4 address: judged by the address they lead to. */
const V6_EMBEDDING: { range: Cidr; offset: number }[] = [
  { range: cidr('::ffff:0:0/96'), offset: 12 }, // IPv4-mapped
  { range: cidr('::ffff:0:0:0/96'), offset: 12 }, // IPv4-translated (SIIT)
  { range: cidr('64:ff9b::/96'), offset: 12 }, // NAT64
  { range: cidr('2002::/16'), offset: 2 }, // 6to4
];

/**
 * Ranges no target may be in, each judged within its own family: everything IANA marks as not
 * globally reachable, plus multicast. 100.64.0.0/10 (carrier-grade NAT) is refused too: clouds use it
 * internally (Alibaba's metadata service is 100.100.100.200) and a public target never lives there.
 */
const REFUSED: [Cidr, string][] = [
  [cidr('0.0.0.0/8'), 'unspecified'],
  [cidr('10.0.0.0/8'), 'private'],
  [cidr('100.64.0.0/10'), 'shared address space (carrier-grade NAT)'],
  [cidr('127.0.0.0/8'), 'loopback'],
  [cidr('169.254.0.0/16'), 'link-local (cloud metadata)'],
  [cidr('172.16.0.0/12'), 'private'],
  [cidr('192.0.0.0/24'), 'reserved (IETF protocol assignments)'],
  [cidr('192.0.2.0/24'), 'reserved (documentation)'],
  [cidr('192.168.0.0/16'), 'private'],
  [cidr('198.18.0.0/15'), 'reserved (benchmarking)'],
  [cidr('198.51.100.0/24'), 'reserved (documentation)'],
  [cidr('203.0.113.0/24'), 'reserved (documentation)'],
  [cidr('224.0.0.0/4'), 'multicast'],
  [cidr('255.255.255.255/32'), 'broadcast'],
  [cidr('240.0.0.0/4'), 'reserved'],
  [cidr('::/128'), 'unspecified'],
  [cidr('::1/128'), 'loopback'],
  [cidr('::/96'), 'reserved (IPv4-compatible)'],
  [cidr('64:ff9b:1::/48'), 'reserved (local-use NAT64)'],
  [cidr('100::/64'), 'reserved (discard)'],
  [cidr('2001:db8::/32'), 'reserved (documentation)'],
  [cidr('2001::/32'), 'reserved (Teredo)'],
  [cidr('fc00::/7'), 'unique-local (private)'],
  [cidr('fe80::/10'), 'link-local (cloud metadata)'],
  [cidr('fec0::/10'), 'site-local'],
  [cidr('ff00::/8'), 'multicast'],
];

/** Why an address is not a public unicast address, or null when it is one. */
export function nonPublicReason(ip: IpAddress): string | null {
  const embedding = V6_EMBEDDING.find(({ range }) => inCidr(ip, range));
  if (embedding) {
    const v4 = { family: 4 as const, bytes: ip.bytes.slice(embedding.offset, embedding.offset + 4) };
    const reason = nonPublicReason(v4);
    return reason === null ? null : `${reason} (${formatIp(v4)} inside IPv6)`;
  }
  return REFUSED.find(([range]) => inCidr(ip, range))?.[1] ?? null;
}

/** The IPv4 address an IPv4-mapped/translated IPv6 address stands for, so IPv4 allowlist entries match it. */
function embeddedV4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6) return null;
  const mapped = V6_EMBEDDING.find((e) => e.offset === 12 && inCidr(ip, e.range));
  return mapped ? { family: 4, bytes: ip.bytes.slice(12, 16) } : null;
}

function allowlisted(ip: IpAddress, allowlist: TargetAllowlist): boolean {
  const v4 = embeddedV4(ip);
  return allowlist.cidrs.some((range) => inCidr(ip, range) || (v4 !== null && inCidr(v4, range)));
}

/** What the address is, when the scheduler may not connect to it; null when it may. */
function addressRefusal(address: string, allowlist: TargetAllowlist): string | null {
  const ip = parseIp(address);
  if (!ip) return 'not an IP address';
  return allowlisted(ip, allowlist) ? null : nonPublicReason(ip);
}

/** May the scheduler connect to this address? */
export function checkAddress(address: string, allowlist: TargetAllowlist): Verdict {
  const reason = addressRefusal(address, allowlist);
  return reason === null ? ALLOWED : { allowed: false, reason: `${address} is ${reason}` };
}

/** Lower case, no brackets, no trailing dot: the form host rules compare. */
export function normalizeHost(hostname: string): string {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return bare.toLowerCase().replace(/\.+$/, '');
}

export function hostAllowlisted(hostname: string, allowlist: TargetAllowlist): boolean {
  const host = normalizeHost(hostname);
  return allowlist.hosts.has(host) || allowlist.suffixes.some((suffix) => host.endsWith(suffix));
}

/**
 * Names that can only lead inside: localhost (RFC 6761), `.local` (mDNS), `.internal` and
 * `.home.arpa` (reserved for private use), the private TLDs of RFC 6762 appendix G, and
 * single-label names, which resolvers complete with internal search domains.
 */
const LOCAL_NAME =
  /^(localhost|ip6-localhost|ip6-loopback)$|\.(localhost|localdomain|local|internal|home\.arpa|intranet|private|corp|home|lan)$/;

export function localNameReason(host: string): string | null {
  if (LOCAL_NAME.test(host)) return `${host} is a local host name`;
  if (!host.includes('.')) return `${host} is a single-label host name (it resolves inside the network)`;
  return null;
}

/**
 * The create-time rule for a target or webhook URL: http/https only, no credentials in the URL,
 * no literal non-public address and no local host name, unless the allowlist names it. A host
 * name that passes is checked again after DNS resolution, at every call.
 */
export function checkTargetUrl(url: string, allowlist: TargetAllowlist): Verdict {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false, reason: 'the URL cannot be parsed' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { allowed: false, reason: `scheme ${parsed.protocol.replace(/:$/, '')} is not http or https` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { allowed: false, reason: 'credentials in the URL are not accepted; send them in a header' };
  }
  const host = normalizeHost(parsed.hostname);
  if (host === '') return { allowed: false, reason: 'the URL has no host' };
  if (hostAllowlisted(host, allowlist)) return ALLOWED;
  if (parseIp(host)) return checkAddress(host, allowlist);
  const local = localNameReason(host);
  return local === null ? ALLOWED : { allowed: false, reason: local };
}

/** The call-time rule: every address the name resolved to must be allowed (or the name allowlisted). */
export function checkResolved(hostname: string, addresses: string[], allowlist: TargetAllowlist): Verdict {
  if (hostAllowlisted(hostname, allowlist)) return ALLOWED;
  if (addresses.length === 0) return { allowed: false, reason: `${hostname} resolved to no address` };
  const host = normalizeHost(hostname);
  const literal = parseIp(host) !== null;
  for (const address of addresses) {
    const reason = addressRefusal(address, allowlist);
    if (reason !== null) {
      return {
        allowed: false,
        reason: literal ? `${address} is ${reason}` : `${host} resolves to ${address}, which is ${reason}`,
      };
    }
  }
  return ALLOWED;
}

const HOST_PATTERN =
  /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Compiles SCHEDULER_TARGET_ALLOWLIST entries; a bad entry throws (a deployment must not start on a typo). */
export function parseAllowlist(entries: readonly string[]): TargetAllowlist {
  const allowlist: TargetAllowlist = { cidrs: [], hosts: new Set(), suffixes: [] };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const range = parseCidr(entry);
    if (range) {
      allowlist.cidrs.push(range);
      continue;
    }
    const host = normalizeHost(entry);
    if (!HOST_PATTERN.test(host) || /^[0-9.]+$/.test(host)) {
      throw new Error(`target allowlist entry "${entry}" is neither a CIDR nor a host name`);
    }
    if (host.startsWith('*.')) allowlist.suffixes.push(host.slice(1));
    else allowlist.hosts.add(host);
  }
  return allowlist;
}

/** The `error` of a refused attempt, `target_not_allowed: <reason>`. */
export function refusalMessage(reason: string): string {
  return `${TARGET_NOT_ALLOWED}: ${reason}`;
}

/** Whether an attempt's error is a refusal, which retrying cannot fix. */
export function isTargetRefusal(error: string | null | undefined): boolean {
  return typeof error === 'string' && error.startsWith(`${TARGET_NOT_ALLOWED}:`);
}
