import type { HttpCaller, HttpOutcome, HttpRequest } from '../core/ports/http-caller.js';

/** Keep this much of a target's answer for the attempt record. */
const BODY_SNIPPET_BYTES = 1024;

/** Calls targets with fetch; a timeout or the caller's signal aborts the request. Redirects are not followed. */
export class FetchHttpCaller implements HttpCaller {
  constructor(private readonly now: () => number = () => performance.now()) {}

  async call(request: HttpRequest): Promise<HttpOutcome> {
    const started = this.now();
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.method === 'GET' ? undefined : request.body,
        redirect: 'manual',
        signal,
      });
      const body = await readSnippet(response);
      const location = response.headers.get('location');
      return {
        kind: 'response',
        statusCode: response.status,
        body,
        durationMs: Math.round(this.now() - started),
        ...(location === null ? {} : { location }),
      };
    } catch (error) {
      const timedOut = timeout.aborted;
      const aborted = !timedOut && (request.signal?.aborted ?? false);
      const message = timedOut
        ? `timed out after ${request.timeoutMs} ms`
        : aborted
          ? 'aborted: execution cancelled'
          : describeNetworkError(error);
      return {
        kind: 'error',
        error: message,
        timedOut,
        aborted,
        durationMs: Math.round(this.now() - started),
      };
    }
  }
}

async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < BODY_SNIPPET_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, BODY_SNIPPET_BYTES).toString('utf8');
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `network error: ${cause.code}`;
    return `network error: ${error.message}`;
  }
  return 'network error';
}
