import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createApi } from '../../lambdas/api/app.js';
import { silentLogger } from '../../lambdas/services/deps.js';
import { ExecuteService } from '../../lambdas/services/execute-service.js';
import { JobsService } from '../../lambdas/services/jobs-service.js';
import { WatchService } from '../../lambdas/services/watch-service.js';
import { fakeDeps } from './services.js';

export interface HarnessResponse {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  body: any;
}

/**
 * The API's request handler (createApi) over the in-memory stores and a fake clock: handler-level
 * tests of routes, status codes and headers without a server or emulators.
 */
export function apiHarness(now: number) {
  const f = fakeDeps(now);
  const service = new JobsService(f.deps);
  const api = createApi({
    service,
    callbacks: new ExecuteService(f.deps, 'exec-api'),
    health: async () => {},
    log: silentLogger,
    idempotency: { store: f.idempotency, clock: f.clock },
  });
  async function request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    tenant = 'team-a',
  ): Promise<HarnessResponse> {
    const [rawPath = '/', query = ''] = path.split('?');
    const params = Object.fromEntries(new URLSearchParams(query));
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath,
      rawQueryString: query,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(query ? { queryStringParameters: params } : {}),
      requestContext: {
        http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
        authorizer: { lambda: { tenant } },
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const result = await api(event);
    const text = result.body ?? '';
    return {
      status: result.statusCode ?? 200,
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
      body: text ? JSON.parse(text) : undefined,
    };
  }
  return { ...f, service, watch: new WatchService(f.deps), request };
}
