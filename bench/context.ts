import type { Bench } from './harness.js';
import { type Counts, diff } from './meter.js';

export interface BenchContext {
  bench: Bench;
  quick: boolean;
  /** Job creations per second measured by the registration scenario (used to plan the others). */
  createRate: number;
  log(message: string): void;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface JobResponse {
  id: string;
  nextRunAt: string | null;
  status: string;
}

/**
 * POST /v1/jobs; a 429 waits its Retry-After and tries again (counted), anything else but 201
 * is an error: the benchmark measures a working scheduler.
 */
export async function createJob(
  ctx: BenchContext,
  body: unknown,
  latencies?: number[],
  throttled?: { count: number },
): Promise<JobResponse> {
  for (;;) {
    const res = await ctx.bench.api('POST', '/v1/jobs', body);
    if (res.status === 201) {
      latencies?.push(res.ms);
      return res.body as JobResponse;
    }
    if (res.status === 429) {
      if (throttled) throttled.count++;
      await sleep(1000);
      continue;
    }
    throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

/** Measures the counters spent while `work` runs. */
export async function metered<T>(
  ctx: BenchContext,
  work: () => Promise<T>,
): Promise<{ result: T; counts: Counts }> {
  const before = ctx.bench.meter.snapshot();
  const result = await work();
  return { result, counts: diff(ctx.bench.meter.snapshot(), before) };
}

export interface BenchWatchTimers {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Watcher ticks at an interval of the scenario's choosing, through the runtime's own timers (their
 * interval is stopped; `tick()` runs every shard once and joins a tick in progress, never overlaps).
 */
export function watchTimers(ctx: BenchContext, intervalMs: number): BenchWatchTimers {
  const { watchers } = ctx.bench.runtime;
  let timer: NodeJS.Timeout | undefined;
  let last: Promise<unknown> = Promise.resolve();
  const tick = () => {
    last = watchers.tick().catch(() => undefined);
  };
  return {
    start: () => {
      tick();
      timer = setInterval(tick, intervalMs);
    },
    stop: async () => {
      clearInterval(timer);
      await last;
    },
  };
}

/** One watcher invocation of one shard (the others disabled for it), as EventBridge Scheduler would run it. */
export async function tickShard(ctx: BenchContext, shard: number) {
  const { watchers } = ctx.bench.runtime;
  const wasDisabled = new Set(watchers.disabled);
  for (let s = 0; s < watchers.shardCount; s++) if (s !== shard) watchers.disabled.add(s);
  try {
    const [report] = await watchers.tick();
    if (!report) throw new Error(`shard ${shard} did not tick`);
    return report;
  } finally {
    watchers.disabled.clear();
    for (const s of wasDisabled) watchers.disabled.add(s);
  }
}

export const shardCount = (ctx: BenchContext) => ctx.bench.runtime.watchers.shardCount;

/** The look-ahead the API's fast path and the watcher use now. */
export const lookahead = (ctx: BenchContext) => ctx.bench.runtime.deps.settings.lookaheadSeconds;

/** Sets the look-ahead the API's fast path and the watcher use (they read the shared settings per call). */
export function setLookahead(ctx: BenchContext, seconds: number): void {
  ctx.bench.runtime.deps.settings.lookaheadSeconds = seconds;
}

/** Whole-second instant at least `ms` from now. */
export const secondAfter = (ms: number) => Math.ceil((Date.now() + ms) / 1000) * 1000;
