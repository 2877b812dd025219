import type { HealthRecovery } from '../../schemas/api.js';
import { DEFAULTS } from '../composition/config.js';
import { newOwnerId } from '../core/ids.js';
import { CallbackService } from '../services/executor/callback-service.js';
import { ExecutionService } from '../services/jobs/execution-service.js';
import { JobService } from '../services/jobs/job-service.js';
import { QueryService } from '../services/jobs/query-service.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { createApi } from './app.js';
import { cachedHealth } from './health-cache.js';
import { TenantRateLimiter } from './rate-limit.js';

export interface ApiWiring {
  /** Per-tenant request rate (SCHEDULER_API_RATE_PER_SECOND, SCHEDULER_API_BURST); absent: DEFAULTS. */
  apiRatePerSecond?: number | undefined;
  apiBurst?: number | undefined;
  /** Answer health checks from a short cache (the Lambda: API Gateway may probe often). */
  cacheHealth?: boolean;
  /** The local runtime's recovery after a restart, added to each health answer (never cached). */
  recovery?: () => HealthRecovery;
}

/** The stores and the run queue answer. */
export function pingStores(deps: ServiceDeps): Promise<void> {
  return Promise.all([deps.jobs.ping(), deps.executions.ping(), deps.queue.ping()]).then(() => undefined);
}

/**
 * The API over the services, wired once for the Lambda handler and the local server: job and
 * execution commands, queries, the async targets' callbacks (not a whole executor), health, the
 * Idempotency-Key store and the per-tenant rate limit.
 */
export function wireApi(deps: ServiceDeps, wiring: ApiWiring = {}) {
  const ping = () => pingStores(deps);
  const checked = wiring.cacheHealth ? cachedHealth(ping, deps.clock.now) : ping;
  const health = async () => {
    await checked();
    return wiring.recovery ? { recovery: wiring.recovery() } : {};
  };
  return createApi({
    jobs: new JobService(deps),
    queries: new QueryService(deps),
    executions: new ExecutionService(deps),
    callbacks: new CallbackService(deps, newOwnerId(deps.random)),
    health,
    log: deps.log,
    ...(deps.idempotency ? { idempotency: { store: deps.idempotency, clock: deps.clock } } : {}),
    rateLimit: new TenantRateLimiter({
      ratePerSecond: wiring.apiRatePerSecond ?? DEFAULTS.apiRatePerSecond,
      burst: wiring.apiBurst ?? DEFAULTS.apiBurst,
    }),
  });
}
