export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Whose call this is: pooled (keep-alive) connections are reused only by calls of the same
   * tenant. A call without one gets a connection of its own.
   */
  tenant?: string;
}

export type HttpOutcome =
  | {
      kind: 'response';
      statusCode: number;
      body: string;
      durationMs: number;
      /** The `Location` header of a redirect (3xx), which is never followed. */
      location?: string;
    }
  | { kind: 'error'; error: string; timedOut: boolean; aborted: boolean; durationMs: number };

/** Makes HTTP calls under the SSRF rules (lambdas/adapters/guarded-http-caller.ts). Never throws. */
export interface HttpCaller {
  call(request: HttpRequest): Promise<HttpOutcome>;
}
