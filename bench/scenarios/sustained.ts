import { performance } from 'node:perf_hooks';
import {
  type BenchContext,
  createJob,
  metered,
  secondAfter,
  setLookahead,
  sleep,
  watchTimers,
} from '../context.js';
import {
  countDuplicates,
  countLost,
  runPool,
  type Summary,
  summarize,
  type Window,
  windows,
} from '../stats.js';
import { type PerExecution, perExecution } from '../usage.js';

const LOOKAHEAD_SECONDS = 30;
const WATCH_INTERVAL_MS = 10_000;
const WINDOW_MS = 10_000;

export interface SustainedSample {
  /** ms from the start of the measured period. */
  t: number;
  visible: number;
  inFlight: number;
  delayed: number;
  /** Process CPU (user + system) over the last second, in cores (2.0 = both cores of a 2-core machine). */
  cpuCores: number;
  eventLoopUtilization: number;
  arrivedPerSecond: number;
}

export interface SustainedResult {
  jobs: number;
  perMinute: number;
  minutes: number;
  startAt: string;
  lookaheadSeconds: number;
  watchIntervalMs: number;
  expected: number;
  executions: number;
  duplicates: number;
  lost: number;
  lateness: Summary;
  /** Lateness by the scheduled instant's 10 s window. */
  windows: Window[];
  samples: SustainedSample[];
  cpu: { meanCores: number; maxCores: number; meanEventLoopUtilization: number };
  queue: { maxVisible: number; maxDelayed: number; maxInFlight: number };
  outcomes: Record<string, number>;
  perExecution: PerExecution;
}

/**
 * `perMinute` jobs each firing once a minute (6-field cron at second i mod 60, so the load is spread
 * over the minute) inside a [startAt, startAt + minutes) window, through the watcher path: the jobs
 * are created before the look-ahead reaches their first run, and our watcher timers send them.
 */
export async function sustained(
  ctx: BenchContext,
  perMinute: number,
  minutes: number,
): Promise<SustainedResult> {
  const { bench } = ctx;
  const path = '/sustained';
  const rate = Math.max(20, ctx.createRate);
  const start = secondAfter(((perMinute / rate) * 1.5 + LOOKAHEAD_SECONDS + 10) * 1000);
  const end = start + minutes * 60_000;
  const savedLookahead = bench.runtime.deps.settings.lookaheadSeconds;
  setLookahead(ctx, LOOKAHEAD_SECONDS);
  ctx.log(`sustained: ${perMinute}/min for ${minutes} min from ${new Date(start).toISOString()}`);
  const jobIds: string[] = new Array(perMinute);
  await runPool(perMinute, 16, async (i) => {
    const job = await createJob(ctx, {
      name: `sustained-${i}`,
      schedule: {
        type: 'cron',
        expression: `${i % 60} * * * * *`,
        timezone: 'UTC',
        startAt: new Date(start).toISOString(),
        endAt: new Date(end - 1).toISOString(),
      },
      target: { url: `${bench.sink.url}${path}`, method: 'POST', body: '{"sustained":true}' },
    });
    jobIds[i] = job.id;
  });
  const expected: string[] = [];
  const startSecond = new Date(start).getUTCSeconds();
  jobIds.forEach((id, i) => {
    const offsetSeconds = ((((i % 60) - startSecond) % 60) + 60) % 60;
    const first = start + offsetSeconds * 1000;
    for (let k = 0; k < minutes; k++) expected.push(`${id}:${new Date(first + k * 60_000).toISOString()}`);
  });

  const statsBefore = (await bench.runtime.stats()).outcomes;
  const timers = watchTimers(ctx, WATCH_INTERVAL_MS);
  const samples: SustainedSample[] = [];
  let lastCpu = process.cpuUsage();
  let lastElu = performance.eventLoopUtilization();
  let lastWall = performance.now();
  let lastArrived = bench.sink.arrivals.length;
  const sampler = setInterval(() => {
    const cpu = process.cpuUsage(lastCpu);
    const elu = performance.eventLoopUtilization(lastElu);
    const wall = performance.now() - lastWall;
    const arrived = bench.sink.arrivals.length;
    lastCpu = process.cpuUsage();
    lastElu = performance.eventLoopUtilization();
    lastWall = performance.now();
    const perSecond = ((arrived - lastArrived) / wall) * 1000;
    lastArrived = arrived;
    void bench.queueDepth('normal').then((depth) =>
      samples.push({
        t: Date.now() - start,
        ...depth,
        cpuCores: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100) / 100,
        eventLoopUtilization: Math.round(elu.utilization * 100) / 100,
        arrivedPerSecond: Math.round(perSecond),
      }),
    );
  }, 1000);
  const window = await metered(ctx, async () => {
    timers.start();
    let seen = 0;
    let lastChange = Date.now();
    for (;;) {
      const count = bench.sink.arrivals.length;
      if (count !== seen) {
        seen = count;
        lastChange = Date.now();
      }
      const arrived = bench.sink.arrivals.filter((a) => a.path === path).length;
      if (Date.now() > end && (arrived >= expected.length || Date.now() - lastChange > 15_000)) break;
      if (Date.now() > end + 180_000) break;
      await sleep(500);
    }
    await timers.stop();
  });
  clearInterval(sampler);
  setLookahead(ctx, savedLookahead);
  const after = (await bench.runtime.stats()).outcomes;
  const outcomes: Record<string, number> = {};
  for (const [k, v] of Object.entries(after))
    if (v - (statsBefore[k] ?? 0)) outcomes[k] = v - (statsBefore[k] ?? 0);

  const arrivals = bench.sink.arrivals.filter((a) => a.path === path);
  const seen = new Set(arrivals.map((a) => a.key));
  const points = arrivals.map((a) => ({ at: a.scheduledAt, value: a.at - a.scheduledAt }));
  const during = samples.filter((s) => s.t >= 0 && s.t <= end - start + 5000);
  const mean = (xs: number[]) =>
    xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : 0;
  const result: SustainedResult = {
    jobs: jobIds.length,
    perMinute,
    minutes,
    startAt: new Date(start).toISOString(),
    lookaheadSeconds: LOOKAHEAD_SECONDS,
    watchIntervalMs: WATCH_INTERVAL_MS,
    expected: expected.length,
    executions: seen.size,
    duplicates: countDuplicates(arrivals),
    lost: countLost(expected, seen),
    lateness: summarize(points.map((p) => p.value)),
    windows: windows(points, WINDOW_MS, start),
    samples,
    cpu: {
      meanCores: mean(during.map((s) => s.cpuCores)),
      maxCores: Math.max(0, ...during.map((s) => s.cpuCores)),
      meanEventLoopUtilization: mean(during.map((s) => s.eventLoopUtilization)),
    },
    queue: {
      maxVisible: Math.max(0, ...samples.map((s) => s.visible)),
      maxDelayed: Math.max(0, ...samples.map((s) => s.delayed)),
      maxInFlight: Math.max(0, ...samples.map((s) => s.inFlight)),
    },
    outcomes,
    perExecution: perExecution(window.counts, outcomes.succeeded ?? 0),
  };
  ctx.log(
    `sustained: ${result.executions}/${result.expected} arrived, p50 ${result.lateness.p50Ms} ms, p99 ${result.lateness.p99Ms} ms, ${result.perExecution.wru.total} WRU/execution`,
  );
  return result;
}
