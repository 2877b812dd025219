import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isConnectionLevelHeader } from '../../schemas/job.js';
import type { HttpCaller, HttpOutcome, HttpRequest } from '../core/ports/http-caller.js';
import {
  checkResolved,
  EMPTY_ALLOWLIST,
  normalizeHost,
  parseIp,
  refusalMessage,
  type TargetAllowlist,
} from '../core/ssrf.js';

/** Keep this much of a target's answer for the attempt record. */
const BODY_SNIPPET_BYTES = 1024;

/** Every address a name resolves to (the system resolver, as fetch would use). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

export interface GuardedHttpCallerOptions {
  allowlist?: TargetAllowlist;
  resolve?: Resolver;
  now?: () => number;
  /** Tenants whose keep-alive pools are kept (least recently used ones go first). Default 1000. */
  maxTenantPools?: number;
}

class Refused extends Error {}

/** An idle pooled connection closes after this long (targets often close theirs after 5–60 s). */
const IDLE_SOCKET_MS = 10_000;

/**
 * Keep-alive agents, one pair per tenant, so a connection never carries two tenants' calls: a
 * target that misreads one call's framing cannot hand its answer to another tenant's call
 * (docs/decisions/connection-pools.md). Bounded: the least recently used tenant's agents are
 * dropped (their idle sockets close on their own; calls in flight keep theirs).
 */
class TenantPools {
  private readonly pools = new Map<string, { http: HttpAgent; https: HttpsAgent }>();

  constructor(private readonly max: number) {}

  agentFor(tenant: string | undefined, secure: boolean): HttpAgent | false {
    // No tenant, no pool: a connection of its own, closed after the call.
    if (tenant === undefined) return false;
    let pool = this.pools.get(tenant);
    if (pool) {
      this.pools.delete(tenant);
    } else {
      const options = { keepAlive: true, timeout: IDLE_SOCKET_MS };
      pool = { http: new HttpAgent(options), https: new HttpsAgent(options) };
    }
    this.pools.set(tenant, pool);
    if (this.pools.size > this.max) {
      const oldest = this.pools.keys().next().value;
      if (oldest !== undefined) this.pools.delete(oldest);
    }
    return secure ? pool.https : pool.http;
  }
}

/** The job's headers without the ones the client sets itself (framing, host) or that govern one hop. */
function endToEndHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isConnectionLevelHeader(name)));
}

/**
 * Calls targets over node:http(s) after the SSRF check (docs/security.md): the host name is resolved
 * once, every address is checked, and the connection goes to the checked addresses only (the
 * socket's `lookup` answers from that result), so a DNS answer that changes between the check and
 * the connect — DNS rebinding — cannot reach anything the check refused. Redirects are not
 * followed. A refused call is an `error` outcome whose message starts with `target_not_allowed:`.
 * The body is framed by the client (a job's framing or hop-by-hop headers are dropped), and
 * keep-alive connections are pooled per tenant.
 */
export class GuardedHttpCaller implements HttpCaller {
  private readonly allowlist: TargetAllowlist;
  private readonly resolve: Resolver;
  private readonly now: () => number;
  private readonly pools: TenantPools;

  constructor(options: GuardedHttpCallerOptions = {}) {
    this.allowlist = options.allowlist ?? EMPTY_ALLOWLIST;
    this.resolve = options.resolve ?? systemResolver;
    this.now = options.now ?? (() => performance.now());
    this.pools = new TenantPools(options.maxTenantPools ?? 1000);
  }

  async call(request: HttpRequest): Promise<HttpOutcome> {
    const started = this.now();
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const elapsed = () => Math.round(this.now() - started);
    try {
      const url = new URL(request.url);
      const addresses = await this.checkedAddresses(url, signal);
      const response = await this.send(url, request, addresses, signal);
      return {
        kind: 'response',
        statusCode: response.statusCode,
        body: response.body,
        durationMs: elapsed(),
        ...(response.location === undefined ? {} : { location: response.location }),
      };
    } catch (error) {
      if (error instanceof Refused) {
        return {
          kind: 'error',
          error: error.message,
          timedOut: false,
          aborted: false,
          durationMs: elapsed(),
        };
      }
      const timedOut = timeout.aborted;
      const aborted = !timedOut && (request.signal?.aborted ?? false);
      const message = timedOut
        ? `timed out after ${request.timeoutMs} ms`
        : aborted
          ? 'aborted: execution cancelled'
          : describeNetworkError(error);
      return { kind: 'error', error: message, timedOut, aborted, durationMs: elapsed() };
    }
  }

  /** Resolves the host (a literal address stands for itself) and applies the SSRF rules to every address. */
  private async checkedAddresses(url: URL, signal: AbortSignal): Promise<LookupAddress[]> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Refused(refusalMessage(`scheme ${url.protocol.replace(/:$/, '')} is not http or https`));
    }
    const host = normalizeHost(url.hostname);
    const literal = parseIp(host);
    const addresses = literal
      ? [{ address: host, family: literal.family }]
      : await abortable(this.resolve(host), signal);
    const verdict = checkResolved(
      host,
      addresses.map((a) => a.address),
      this.allowlist,
    );
    if (!verdict.allowed) throw new Refused(refusalMessage(verdict.reason));
    return addresses;
  }

  private send(
    url: URL,
    request: HttpRequest,
    addresses: LookupAddress[],
    signal: AbortSignal,
  ): Promise<{ statusCode: number; body: string; location?: string }> {
    // The socket connects to the addresses checked above, never to a second resolution.
    const pinned: LookupFunction = (_hostname, options, callback) => {
      const family = familyOf(options.family);
      const usable = family ? addresses.filter((a) => a.family === family) : addresses;
      const first = usable[0];
      if (options.all) return callback(null, usable);
      if (!first) {
        const error = Object.assign(new Error('no checked address of that family'), { code: 'ENOTFOUND' });
        return callback(error, '', 0);
      }
      callback(null, first.address, first.family);
    };
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: request.method,
        // Node frames the body (content-length) and sets host and connection itself.
        headers: endToEndHeaders(request.headers),
        agent: this.pools.agentFor(request.tenant, secure),
        lookup: pinned,
        signal,
      });
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        const { location } = res.headers;
        readSnippet(res).then(
          (body) =>
            resolve({
              statusCode: res.statusCode ?? 0,
              body,
              ...(location === undefined ? {} : { location }),
            }),
          reject,
        );
      });
      req.end(request.body);
    });
  }
}

function readSnippet(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(chunks).subarray(0, BODY_SNIPPET_BYTES).toString('utf8'));
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= BODY_SNIPPET_BYTES) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    // The status line arrived; a body cut short still leaves an answer to record.
    res.on('error', done);
    res.on('close', done);
  });
}

function familyOf(family: number | string | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code) return `network error: ${code}`;
    return `network error: ${error.message}`;
  }
  return 'network error';
}
