import { performance } from 'node:perf_hooks';
import { attribute, type SteadyState, steadyState } from '../attribution.js';
import {
  type BenchContext,
  createJob,
  lookahead,
  metered,
  secondAfter,
  setLookahead,
  sleep,
  watchTimers,
} from '../context.js';
import { type Counts, total } from '../meter.js';
import { spreadCron, spreadRuns } from '../spread-crons.js';
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
const QUIET_MS = 30_000;

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
  /** Runs of each job per minute (jobs × this = perMinute). */
  runsPerJobPerMinute: number;
  perMinute: number;
  minutes: number;
  startAt: string;
  lookaheadSeconds: number;
  watchIntervalMs: number;
  expected: number;
  /** Expected runs that reached the sink (distinct). */
  executions: number;
  /** The same as `executions`, under the name the "nothing skipped" check reads. */
  arrived: number;
  /** Every expected run arrived: none skipped by the misfire policy, none lost. */
  nothingSkipped: boolean;
  duplicates: number;
  /** Expected runs neither at the sink nor recorded: truly lost. */
  lost: number;
  /**
   * Expected runs the misfire policy (`run_once`, grace 60 s) recorded as `skipped` because the
   * overloaded executor reached them more than the grace late: dropped by rule and visible in the
   * history, not lost.
   */
  skippedByMisfire: number;
  stopReason: 'all arrived' | 'quiet sink, empty queue' | 'time cap';
  /** From the end of the window to the last arrival. */
  drainAfterWindowMs: number;
  lateness: Summary;
  /** Lateness by the scheduled instant's 10 s window. */
  windows: Window[];
  samples: SustainedSample[];
  cpu: { meanCores: number; maxCores: number; meanEventLoopUtilization: number };
  queue: { maxVisible: number; maxDelayed: number; maxInFlight: number };
  outcomes: Record<string, number>;
  /**
   * Steady state: the requests that serve the window's runs (attributed to them wherever they
   * happened, bench/attribution.ts) plus the overhead made during the window, per run that arrived.
   */
  perExecution: PerExecution;
  /** The old basis, for comparison: every request from the first watcher tick to the drain, per success. */
  perExecutionWindowed: PerExecution;
  attribution: Omit<SteadyState, 'counts' | 'overheadCounts'> & {
    records: number;
    /** Of the figures per run, what the window's overhead adds (it shrinks as the rate grows). */
    overheadPerRun: { ddbRequests: number; sqsRequests: number; wru: number; rru: number };
  };
  /** Attributed counters of the window's runs (for the provisioned sizing and the JSON). */
  steadyCounts: Counts;
}

/**
 * `perMinute` runs a minute from `perMinute / runsPerJob` jobs, each firing `runsPerJob` times a
 * minute (6-field cron every 60/runsPerJob seconds from second i mod that period, so the load is
 * spread evenly), measured over a [startAt, startAt + minutes) window, through the watcher path:
 * the jobs are created before the look-ahead reaches their first run, and our watcher timers send
 * them. The jobs never end (an unending cron is the steady state: no last advance, no job
 * completion inside the window); the watcher stops at the end of the window, and runs it queued
 * for later are not counted. A period longer than the watcher interval keeps one job advance per
 * run, as with minute crons; fewer jobs only shorten the set-up (the quick run's 2,500 creates
 * instead of 10,000).
 */
export async function sustained(
  ctx: BenchContext,
  perMinute: number,
  minutes: number,
  runsPerJob = 1,
): Promise<SustainedResult> {
  const { bench } = ctx;
  const path = '/sustained';
  const period = 60 / runsPerJob;
  if (!Number.isInteger(period) || period * 1000 <= WATCH_INTERVAL_MS) {
    throw new Error(`runsPerJob ${runsPerJob}: the period must be whole seconds above the watch interval`);
  }
  const jobCount = Math.max(1, Math.round(perMinute / runsPerJob));
  const rate = Math.max(20, ctx.createRate);
  const start = secondAfter(((jobCount / rate) * 1.3 + LOOKAHEAD_SECONDS + 5) * 1000);
  const end = start + minutes * 60_000;
  const savedLookahead = lookahead(ctx);
  setLookahead(ctx, LOOKAHEAD_SECONDS);
  ctx.log(
    `sustained: ${perMinute}/min (${jobCount} jobs × ${runsPerJob}/min) for ${minutes} min from ${new Date(start).toISOString()}`,
  );
  const jobIds: string[] = new Array(jobCount);
  await runPool(jobCount, 16, async (i) => {
    const job = await createJob(ctx, {
      name: `sustained-${i}`,
      schedule: {
        type: 'cron',
        expression: spreadCron(i, period),
        timezone: 'UTC',
        startAt: new Date(start).toISOString(),
      },
      target: { url: `${bench.sink.url}${path}`, method: 'POST', body: '{"sustained":true}' },
    });
    jobIds[i] = job.id;
  });
  const expected = jobIds.flatMap((id, i) => spreadRuns(id, i, period, start, end));
  const expectedSet = new Set(expected);

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
  // A saturated machine keeps draining after the window: wait for every run, or for a quiet sink
  // with an empty queue, or give up at the cap (runs still unsent then count as lost).
  const capAt = end + Math.max(180_000, 2 * minutes * 60_000);
  let stopReason: SustainedResult['stopReason'] = 'time cap';
  const arrivedKeys = new Set<string>();
  let scanned = 0;
  const expectedArrived = () => {
    const { arrivals } = bench.sink;
    for (; scanned < arrivals.length; scanned++) {
      const a = arrivals[scanned]!;
      if (a.path === path && expectedSet.has(a.key)) arrivedKeys.add(a.key);
    }
    return arrivedKeys.size;
  };
  bench.meter.startLog();
  const window = await metered(ctx, async () => {
    timers.start();
    let watching = true;
    let seen = 0;
    let lastChange = Date.now();
    for (;;) {
      if (watching && Date.now() >= end) {
        // Every run of the window was handed to the queue before it fell due; the jobs never end.
        await timers.stop();
        watching = false;
      }
      const count = expectedArrived();
      if (count !== seen) {
        seen = count;
        lastChange = Date.now();
      }
      if (Date.now() > end && count >= expected.length) {
        stopReason = 'all arrived';
        break;
      }
      if (Date.now() > end && Date.now() - lastChange > QUIET_MS) {
        // Delayed messages are runs after the window; what is visible or in flight may still be ours.
        const depth = await bench.queueDepth('normal');
        if (depth.visible + depth.inFlight === 0) {
          stopReason = 'quiet sink, empty queue';
          break;
        }
      }
      if (Date.now() > capAt) break;
      await sleep(500);
    }
    if (watching) await timers.stop();
  });
  const records = bench.meter.stopLog();
  clearInterval(sampler);
  setLookahead(ctx, savedLookahead);
  const after = (await bench.runtime.stats()).outcomes;
  const outcomes: Record<string, number> = {};
  for (const [k, v] of Object.entries(after))
    if (v - (statsBefore[k] ?? 0)) outcomes[k] = v - (statsBefore[k] ?? 0);

  const arrivals = bench.sink.arrivals.filter((a) => a.path === path && expectedSet.has(a.key));
  const seen = new Set(arrivals.map((a) => a.key));
  const missing = expected.filter((key) => !seen.has(key));
  let skippedByMisfire = 0;
  await runPool(missing.length, 16, async (i) => {
    const res = await bench.api('GET', `/v1/executions/${encodeURIComponent(missing[i]!)}`);
    if ((res.body as { status?: string } | undefined)?.status === 'skipped') skippedByMisfire++;
  });
  const steady = steadyState(attribute(records), expected, { from: start, to: end });
  const { counts: steadyCounts, overheadCounts, ...attribution } = steady;
  const perRun = (n: number) => Math.round((n / Math.max(1, seen.size)) * 1000) / 1000;
  const overheadPerRun = {
    ddbRequests: perRun(total(overheadCounts, 'ddb.call.')),
    sqsRequests: perRun(overheadCounts['sqs.billedRequests'] ?? 0),
    wru: perRun(total(overheadCounts, 'ddb.wru.')),
    rru: perRun(total(overheadCounts, 'ddb.rru.')),
  };
  const points = arrivals.map((a) => ({ at: a.scheduledAt, value: a.at - a.scheduledAt }));
  const during = samples.filter((s) => s.t >= 0 && s.t <= end - start + 5000);
  const mean = (xs: number[]) =>
    xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : 0;
  const result: SustainedResult = {
    jobs: jobIds.length,
    runsPerJobPerMinute: runsPerJob,
    perMinute,
    minutes,
    startAt: new Date(start).toISOString(),
    lookaheadSeconds: LOOKAHEAD_SECONDS,
    watchIntervalMs: WATCH_INTERVAL_MS,
    expected: expected.length,
    executions: seen.size,
    arrived: seen.size,
    nothingSkipped: seen.size === expected.length,
    duplicates: countDuplicates(arrivals),
    lost: countLost(expected, seen) - skippedByMisfire,
    skippedByMisfire,
    stopReason,
    drainAfterWindowMs: Math.max(0, (arrivals.at(-1)?.at ?? end) - end),
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
    perExecution: perExecution(steadyCounts, seen.size),
    perExecutionWindowed: perExecution(window.counts, outcomes.succeeded ?? 0),
    attribution: { ...attribution, records: records.length, overheadPerRun },
    steadyCounts,
  };
  ctx.log(
    `sustained: ${result.executions}/${result.expected} arrived (${skippedByMisfire} skipped by the misfire policy, ${result.lost} lost), p50 ${result.lateness.p50Ms} ms, p99 ${result.lateness.p99Ms} ms; ` +
      `steady state ${result.perExecution.wru.total} WRU, ${result.perExecution.ddbCalls.total} DynamoDB and ${result.perExecution.sqs.billedRequests} SQS requests per run ` +
      `(window counting: ${result.perExecutionWindowed.wru.total} WRU)`,
  );
  return result;
}
