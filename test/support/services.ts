import type { HttpCaller, HttpOutcome, HttpRequest } from '../../lambdas/core/ports/http-caller.js';
import type { Logger } from '../../lambdas/core/ports/logger.js';
import type { ServiceDeps } from '../../lambdas/services/service-deps.js';
import { FakeClock, MemoryExecutionStore, MemoryJobStore, MemoryRunQueue } from './memory.js';
import { MemoryIdempotencyStore } from './memory-idempotency.js';

/** A target that answers from a script; records every request. */
export class ScriptedHttp implements HttpCaller {
  readonly requests: HttpRequest[] = [];
  answer: (request: HttpRequest) => HttpOutcome | Promise<HttpOutcome> = () => ({
    kind: 'response',
    statusCode: 200,
    body: '',
    durationMs: 5,
  });

  async call(request: HttpRequest): Promise<HttpOutcome> {
    this.requests.push(request);
    return this.answer(request);
  }
}

export function fakeDeps(now: number, overrides: { log?: Logger; jobs?: MemoryJobStore } = {}) {
  const jobs = overrides.jobs ?? new MemoryJobStore();
  const executions = new MemoryExecutionStore();
  const queue = new MemoryRunQueue();
  const http = new ScriptedHttp();
  const clock = new FakeClock(now);
  const idempotency = new MemoryIdempotencyStore();
  let seed = 42;
  let tokens = 0;
  const deps: ServiceDeps = {
    jobs,
    dueIndex: jobs,
    watermarks: jobs,
    slots: jobs,
    dependencyEdges: jobs,
    dependencyRounds: jobs,
    executions,
    queue,
    http,
    clock,
    random: () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    },
    secureToken: () => `token-${++tokens}`,
    signing: { secretsFor: () => ['secret'] },
    settings: { shards: 4, lookaheadSeconds: 120, hotRetentionSeconds: 3600 },
    log: overrides.log ?? silentLogger,
    idempotency,
  };
  return { deps, jobs, executions, queue, http, clock, idempotency };
}

/** A logger that drops every line. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
