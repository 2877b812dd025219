/** What a request looks like when it is about to be sent (and signed). */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** Adds the credentials a request needs; called again for every retry (signatures expire). */
export interface RequestAuth {
  headersFor(request: OutgoingRequest): Promise<Record<string, string>>;
}

/** The local runtime's `x-api-key` (keys map to tenants). */
export function apiKeyAuth(key: string): RequestAuth {
  return { headersFor: async () => ({ 'x-api-key': key }) };
}

/** No credentials: health, the OpenAPI document, or a JWT set through `headers`. */
export const noAuth: RequestAuth = { headersFor: async () => ({}) };
