import {
  type BenchContext,
  createJob,
  lookahead,
  metered,
  setLookahead,
  sleep,
  watchTimers,
} from '../context.js';
import type { Counts } from '../meter.js';
import type { SinkArrival } from '../sink.js';
import { countDuplicates, countLost, runPool, type Summary, summarize } from '../stats.js';
import { CpuMeter, type CpuPerItem, threadCpu } from '../thread-cpu.js';
import { type PerExecution, perExecution } from '../usage.js';

/** Watcher tick interval during the burst (EventBridge runs it every minute in AWS). */
const BURST_WATCH_INTERVAL_MS = 2000;
/** Share of the burst created early, so it reaches the queue through the `due` index and a watcher tick. */
const WATCHER_SHARE = 0.2;
const SAMPLE_MS = 250;

export interface QueueSample {
  /** ms from the burst instant. */
  t: number;
  visible: number;
  inFlight: number;
  delayed: number;
  arrived: number;
}

export interface BurstResult {
  burstAt: string;
  jobs: {
    created: number;
    once: number;
    cron: number;
    fastPath: number;
    watcherPath: number;
    notCreatedInTime: number;
  };
  lookaheadSeconds: number;
  watchIntervalMs: number;
  createLatency: Summary;
  executions: number;
  lateness: Summary;
  duplicates: number;
  lost: number;
  /** From the burst instant to the last arrival. */
  drainMs: number;
  /** Arrivals per second between the first and the last. */
  throughputPerSecond: number;
  queue: QueueSample[];
  outcomes: Record<string, number>;
  /** Usage of the execution window (after the last create until drained), per successful execution. */
  perExecution: PerExecution;
  /** Usage per job including its creation through the API (each job runs once here). */
  perJobIncludingCreate: PerExecution;
  /** Raw lateness per arrival (ms), in arrival order, for the plot. */
  samples: { arrivalMs: number; latenessMs: number }[];
  /**
   * CPU per run in this process from the last create until drained (by thread: the event loop
   * runs the executor and the bench's queue sampling; the emulators and the bench's sink have
   * threads of their own): steadier than the lateness, and what bounds it on two cores.
   */
  cpuPerRun?: CpuPerItem;
}

function outcomesDiff(after: Record<string, number>, before: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

/** Waits until `count` more runs than `before` have an outcome (their results written), or a minute. */
async function untilSettled(ctx: BenchContext, before: Record<string, number>, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  const settled = (now: Record<string, number>) =>
    Object.entries(now).reduce((sum, [k, v]) => sum + v - (before[k] ?? 0), 0);
  while (settled((await ctx.bench.runtime.stats()).outcomes) < count && Date.now() < deadline) {
    await sleep(SAMPLE_MS);
  }
}

/** Waits until `expected` arrivals on `path`, or until nothing arrived for `quietMs` after `notBefore`, or `deadline`. */
export async function waitForArrivals(
  arrivals: SinkArrival[],
  path: string,
  expected: number,
  notBefore: number,
  deadline: number,
  quietMs = 15_000,
  onSample?: () => Promise<void>,
): Promise<void> {
  let seen = 0;
  let lastChange = Date.now();
  for (;;) {
    const now = Date.now();
    const count = arrivals.filter((a) => a.path === path).length;
    if (count !== seen) {
      seen = count;
      lastChange = now;
    }
    if (count >= expected && now > notBefore) return;
    if (now > deadline || (now > notBefore && now - lastChange > quietMs)) return;
    await onSample?.();
    await sleep(SAMPLE_MS);
  }
}

/**
 * N runs due at the same second: half one-time jobs, half daily crons (6-field, firing at that
 * second). The first 20 % are created while the instant is beyond the look-ahead (they wait on the
 * `due` index for a watcher tick); the rest within it (the API's fast path enqueues them).
 */
export async function burst(ctx: BenchContext, n: number, topOfMinute: boolean): Promise<BurstResult> {
  const { bench } = ctx;
  const path = '/burst';
  const early = Math.round(n * WATCHER_SHARE);
  const rate = Math.max(20, ctx.createRate);
  const lookaheadSeconds = Math.min(600, Math.ceil(((n - early) / rate) * 1.5) + 5);
  const earliest = Date.now() + ((early / rate) * 1.5 + lookaheadSeconds + 3) * 1000;
  const unit = topOfMinute ? 60_000 : 1000;
  const burstAt = Math.ceil(earliest / unit) * unit;
  const at = new Date(burstAt);
  const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
  const savedLookahead = lookahead(ctx);
  setLookahead(ctx, lookaheadSeconds);
  ctx.log(`burst: ${n} runs at ${at.toISOString()}, look-ahead ${lookaheadSeconds} s`);

  const latencies: number[] = [];
  const jobIds: string[] = [];
  let fastPath = 0;
  let notCreated = 0;
  const body = (i: number) => ({
    name: `burst-${i}`,
    schedule:
      i % 2 === 0
        ? { type: 'once', at: at.toISOString() }
        : { type: 'cron', expression: cron, timezone: 'UTC' },
    target: { url: `${bench.sink.url}${path}`, method: 'POST', body: '{"burst":true}' },
  });
  const create = async (i: number) => {
    if (Date.now() > burstAt - 1000) {
      notCreated++;
      return;
    }
    // Inside the look-ahead when the API sees it: the fast path sends the run at creation (the
    // response's nextRunAt still shows the run then, so the timing tells, not the body).
    const insideLookahead = burstAt - Date.now() <= lookaheadSeconds * 1000;
    const job = await createJob(ctx, body(i), latencies);
    jobIds.push(job.id);
    if (insideLookahead) fastPath++;
  };

  const statsBefore = (await bench.runtime.stats()).outcomes;
  const createCounts = await metered(ctx, async () => {
    await runPool(early, 16, (i) => create(i));
    await sleep(burstAt - lookaheadSeconds * 1000 + 500 - Date.now());
    return undefined;
  });
  const timers = watchTimers(ctx, BURST_WATCH_INTERVAL_MS);
  timers.start();
  const fastCounts = await metered(ctx, () => runPool(n - early, 16, (i) => create(early + i)));

  const queue: QueueSample[] = [];
  const sample = async () => {
    const depth = await bench.queueDepth('normal');
    queue.push({
      t: Date.now() - burstAt,
      ...depth,
      arrived: bench.sink.arrivals.filter((a) => a.path === path).length,
    });
  };
  const cpu = new CpuMeter();
  const cpuBefore = threadCpu();
  const execution = await metered(ctx, async () => {
    await waitForArrivals(
      bench.sink.arrivals,
      path,
      jobIds.length,
      burstAt + 2000,
      burstAt + 300_000,
      15_000,
      sample,
    );
    // The runs' results are written after their calls: the window (and its CPU) ends once they are.
    await untilSettled(ctx, statsBefore, bench.sink.arrivals.filter((a) => a.path === path).length);
  });
  cpu.add(cpuBefore, threadCpu());
  await timers.stop();
  setLookahead(ctx, savedLookahead);
  const outcomes = outcomesDiff((await bench.runtime.stats()).outcomes, statsBefore);

  const arrivals = bench.sink.arrivals.filter((a) => a.path === path);
  const expected = jobIds.map((id) => `${id}:${at.toISOString()}`);
  const seen = new Set(arrivals.map((a) => a.key));
  const lateness = arrivals.map((a) => a.at - a.scheduledAt);
  const first = arrivals[0]?.at ?? burstAt;
  const last = arrivals.at(-1)?.at ?? burstAt;
  const succeeded = outcomes.succeeded ?? 0;
  const allCounts: Counts = {};
  for (const c of [createCounts.counts, fastCounts.counts, execution.counts]) {
    for (const [k, v] of Object.entries(c)) allCounts[k] = (allCounts[k] ?? 0) + v;
  }
  const result: BurstResult = {
    burstAt: at.toISOString(),
    jobs: {
      created: jobIds.length,
      once: Math.ceil(jobIds.length / 2),
      cron: Math.floor(jobIds.length / 2),
      fastPath,
      watcherPath: jobIds.length - fastPath,
      notCreatedInTime: notCreated,
    },
    lookaheadSeconds,
    watchIntervalMs: BURST_WATCH_INTERVAL_MS,
    createLatency: summarize(latencies),
    executions: seen.size,
    lateness: summarize(lateness),
    duplicates: countDuplicates(arrivals),
    lost: countLost(expected, seen),
    drainMs: last - burstAt,
    throughputPerSecond:
      last > first ? Math.round((arrivals.length / (last - first)) * 1000) : arrivals.length,
    queue,
    outcomes,
    // The runs' messages were sent by the API's fast path and the watcher: their residuals count in full.
    perExecution: perExecution(execution.counts, succeeded, allCounts),
    perJobIncludingCreate: perExecution(allCounts, succeeded),
    samples: arrivals.map((a) => ({ arrivalMs: a.at - burstAt, latenessMs: a.at - a.scheduledAt })),
  };
  const cpuPerRun = cpu.per(arrivals.length);
  if (cpuPerRun) result.cpuPerRun = cpuPerRun;
  ctx.log(
    `burst: ${result.executions}/${expected.length} arrived, p50 ${result.lateness.p50Ms} ms, p99 ${result.lateness.p99Ms} ms, drained in ${result.drainMs} ms`,
  );
  return result;
}

export interface BaselineResult {
  runs: number;
  concurrency: number;
  lateness: Summary;
  drainMs: number;
  samples: number[];
  /** CPU per call in this process (fetch and the sink), as for the burst's runs. */
  cpuPerRun?: CpuPerItem;
}

/**
 * The lower bound on this machine: the same number of runs, each a setTimeout to the burst
 * instant that POSTs to the sink with fetch, at most `concurrency` calls at once (the executor's
 * in-flight cap), no persistence, no queue.
 */
export async function baseline(ctx: BenchContext, n: number, concurrency: number): Promise<BaselineResult> {
  const { bench } = ctx;
  const path = '/baseline';
  const at = Math.ceil((Date.now() + 3000) / 1000) * 1000;
  const scheduledAt = new Date(at).toISOString();
  let active = 0;
  const waiting: (() => void)[] = [];
  const call = async (i: number) => {
    while (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      const res = await fetch(`${bench.sink.url}${path}`, {
        method: 'POST',
        headers: { 'idempotency-key': `baseline-${i}`, 'x-scheduler-scheduled-at': scheduledAt },
        body: '{"burst":true}',
      });
      await res.text();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  for (let i = 0; i < n; i++) setTimeout(() => void call(i), at - Date.now());
  const cpu = new CpuMeter();
  const cpuBefore = threadCpu();
  await waitForArrivals(bench.sink.arrivals, path, n, at, at + 120_000);
  cpu.add(cpuBefore, threadCpu());
  const arrivals = bench.sink.arrivals.filter((a) => a.path === path);
  const lateness = arrivals.map((a) => a.at - at);
  const result: BaselineResult = {
    runs: arrivals.length,
    concurrency,
    lateness: summarize(lateness),
    drainMs: (arrivals.at(-1)?.at ?? at) - at,
    samples: lateness,
  };
  const cpuPerRun = cpu.per(arrivals.length);
  if (cpuPerRun) result.cpuPerRun = cpuPerRun;
  ctx.log(`baseline: p50 ${result.lateness.p50Ms} ms, p99 ${result.lateness.p99Ms} ms`);
  return result;
}
