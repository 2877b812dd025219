import { createApi } from '../../lambdas/api/app.js';
import { silentLogger } from '../../lambdas/core/ports/logger.js';
import { ExecuteService } from '../../lambdas/services/execute-service.js';
import { JobsService } from '../../lambdas/services/jobs-service.js';
import { WatchService } from '../../lambdas/services/watch-service.js';
import { apiGatewayEvent } from './lambda-events.js';
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
    const event = apiGatewayEvent(method, path, body, headers, { lambda: { tenant } });
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
