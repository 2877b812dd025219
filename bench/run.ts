/**
 * `npm run bench` / `npm run bench:quick`: the local runtime (fresh data directory) and a real HTTP
 * sink on loopback, five scenarios, a JSON file and an SVG plot under bench/results/, and a JSON
 * summary as the last line on stdout. Progress goes to stderr.
 *
 * Flags: --quick; --scale=0.1 (shrinks every count: a smoke test of the harness, figures not
 * comparable); --only=registration,trigger,burst,sustained (registration includes the watcher
 * scenario; the others plan with its create rate and fall back to 100/s); --inline-dynamo,
 * --inline-sqs (dynalite, fauxqs on the scheduler's event loop instead of a worker thread as under
 * `npm start`; `--inline-sqs` is the set-up before fauxqs moved off it); --profile (a CPU
 * profile of the main thread: bench/results/<name>.cpuprofile and its summary in the JSON file).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureArchive } from './archive-cost.js';
import type { BenchContext } from './context.js';
import { startBench } from './harness.js';
import { histogramPanel, scatterPanel, svgDocument, windowPanel } from './plot.js';
import {
  ASSUMPTIONS,
  COMPARISON,
  costPerMillion,
  type ExecutionUsage,
  hotStorageOfCopies,
  hotStoragePerMillion,
  PRICES,
  PROVISIONING,
  provisionedCostPerMillion,
} from './pricing.js';
import { startProfile } from './profile.js';
import { type BaselineResult, type BurstResult, baseline, burst } from './scenarios/burst.js';
import { type RegistrationResult, registration, tableSizes } from './scenarios/registration.js';
import { type SustainedResult, sustained } from './scenarios/sustained.js';
import { type TriggerResult, trigger } from './scenarios/trigger.js';
import { type WatcherLevel, watcherAt } from './scenarios/watcher.js';
import { requestsPerRun, unitsByTarget } from './usage.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;
const runs = (name: string) => only === null || only.has(name);
const threads = {
  dynamo: !process.argv.includes('--inline-dynamo'),
  sqs: !process.argv.includes('--inline-sqs'),
};
const where = (inThread: boolean) => (inThread ? 'worker thread' : 'inline');
const profiling = process.argv.includes('--profile');
/** --hand-over-ahead=N: the runtime's handOverAheadSeconds (default LOCAL_HAND_OVER_AHEAD_SECONDS, as `npm start`); 0 hands runs over within the second before, as in AWS. */
const handOverAheadArg = process.argv.find((a) => a.startsWith('--hand-over-ahead='));

const scaleArg = process.argv.find((a) => a.startsWith('--scale='));
/** Shrinks every count (a smoke run of the harness itself); figures at another scale are not comparable. */
const scale = scaleArg ? Number(scaleArg.slice('--scale='.length)) : 1;
const BASE_PLAN = quick
  ? {
      name: 'quick',
      registration: 10_000,
      checkpoints: [1_000],
      watcherPerShard: 25,
      burst: 2_000,
      perMinute: 10_000,
      // 2,500 jobs every 15 s instead of 10,000 minute crons: a quarter of the creates, same load.
      sustainedRunsPerJob: 4,
      minutes: 1,
      triggers: 1_000,
    }
  : {
      name: 'full',
      registration: 100_000,
      checkpoints: [1_000, 10_000],
      watcherPerShard: 100,
      burst: 10_000,
      perMinute: 10_000,
      sustainedRunsPerJob: 1,
      minutes: 5,
      triggers: 1_000,
    };

const scaled = (n: number) => Math.max(1, Math.round(n * scale));
const PLAN = {
  ...BASE_PLAN,
  name: scale === 1 ? BASE_PLAN.name : `${BASE_PLAN.name}-x${scale}`,
  registration: scaled(BASE_PLAN.registration),
  checkpoints: BASE_PLAN.checkpoints.map(scaled),
  watcherPerShard: Math.max(2, scaled(BASE_PLAN.watcherPerShard)),
  burst: scaled(BASE_PLAN.burst),
  perMinute: scaled(BASE_PLAN.perMinute),
  triggers: scaled(BASE_PLAN.triggers),
};

const r1 = (n: number) => Math.round(n * 10) / 10;

function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: r1(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map(r1),
  };
}

function sumUsage(parts: ExecutionUsage[]): ExecutionUsage {
  const executions = parts.reduce((s, p) => s + p.executions, 0);
  // The measured residual wait, weighted by executions over the parts that measured one.
  const measured = parts.filter((p) => p.residualWaitMs !== undefined);
  const measuredExecutions = measured.reduce((s, p) => s + p.executions, 0);
  const residual =
    measuredExecutions > 0
      ? {
          residualWaitMs:
            Math.round(
              (measured.reduce((s, p) => s + (p.residualWaitMs ?? 0) * p.executions, 0) /
                measuredExecutions) *
                10,
            ) / 10,
        }
      : {};
  return {
    ...residual,
    executions,
    wru: parts.reduce((s, p) => s + p.wru, 0),
    rru: parts.reduce((s, p) => s + p.rru, 0),
    ddbCalls: parts.reduce((s, p) => s + p.ddbCalls, 0),
    sqsRequests: parts.reduce((s, p) => s + p.sqsRequests, 0),
    messagesPerInvocation: executions
      ? parts.reduce((s, p) => s + p.messagesPerInvocation * p.executions, 0) / executions
      : 1,
  };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const startedAt = new Date();
  const host = machine();
  const log = (message: string) =>
    process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)}s] ${message}\n`);
  const profiler = profiling ? await startProfile() : undefined;
  const bench = await startBench(
    handOverAheadArg
      ? { handOverAheadSeconds: Number(handOverAheadArg.slice('--hand-over-ahead='.length)) }
      : {},
    threads,
  );
  // Each scenario drives its own watcher timers (interval of its choosing); the runtime's stay off.
  await bench.runtime.watchers.stop();
  const ctx: BenchContext = { bench, quick, createRate: 100, log };
  log(`${PLAN.name} run on ${host.nproc} × ${host.cpuModel}, load ${host.loadAverageAtStart.join(' ')}`);
  if ((host.loadAverageAtStart[0] ?? 0) > host.nproc / 2) {
    log(
      `warning: load average ${host.loadAverageAtStart[0]} on ${host.nproc} cores before starting; other work will inflate every latency (it is recorded in the JSON)`,
    );
  }
  log(
    `plan${only ? ` (only ${[...only].join(', ')} of)` : ''}: registration ${PLAN.registration} jobs (watcher ticks at ${[...PLAN.checkpoints, PLAN.registration].join(', ')} active), ` +
      `${PLAN.triggers} triggers, burst ${PLAN.burst} + setTimeout baseline, sustained ${PLAN.perMinute}/min × ${PLAN.minutes} min; ` +
      `dynalite ${where(threads.dynamo)}, fauxqs ${where(threads.sqs)}; expect ${quick ? '~5' : '~25'} min on 2 quiet cores (more under load)`,
  );

  let reg: RegistrationResult | undefined;
  const watcher: WatcherLevel[] = [];
  let trig: TriggerResult | undefined;
  let bst: BurstResult | undefined;
  let base: BaselineResult | undefined;
  let sus: SustainedResult | undefined;
  try {
    if (runs('registration')) {
      reg = await registration(ctx, PLAN.registration, PLAN.checkpoints, async (created) => {
        watcher.push(await watcherAt(ctx, created, PLAN.watcherPerShard));
      });
      watcher.push(await watcherAt(ctx, PLAN.registration, PLAN.watcherPerShard));
      reg.tables = await tableSizes(ctx, reg.jobs);
    }
    if (runs('trigger')) trig = await trigger(ctx, PLAN.triggers);
    if (runs('burst')) {
      bst = await burst(ctx, PLAN.burst, !quick);
      base = await baseline(ctx, PLAN.burst, 256);
    }
    if (runs('sustained')) {
      sus = await sustained(ctx, PLAN.perMinute, PLAN.minutes, PLAN.sustainedRunsPerJob);
    }
    // Runs that reached the sink after a scenario stopped waiting were late, not lost.
    const distinctOn = (path: string) =>
      new Set(bench.sink.arrivals.filter((a) => a.path === path).map((a) => a.key)).size;
    for (const level of watcher) {
      level.dueTick.lost = level.dueTick.dueJobsCreated - distinctOn(level.dueTick.path);
    }
    if (trig) trig.lost = trig.triggers - distinctOn('/trigger');
    const finalTables = await tableSizes(ctx, reg?.jobs ?? 0);
    const stats = await bench.runtime.stats();

    const usageParts = [bst?.perExecution.usage, sus?.perExecution.usage].filter(
      (u): u is ExecutionUsage => !!u,
    );
    const aggregate = sumUsage(usageParts);
    const cost = costPerMillion(aggregate);
    const executionBytes = finalTables.executions.items
      ? Math.round(finalTables.executions.bytes / finalTables.executions.items)
      : 0;
    // A finished execution stays in the table and in the indexes that still hold it (measured at
    // the end of the run: each index's projected bytes over all executions; sparse ones hold few).
    const { items: executionItems, indexItems, indexBytes } = finalTables.executions;
    const indexCopies = Object.entries(indexItems).map(([index, entries]) => ({
      bytes: (indexBytes[index] ?? 0) / entries,
      share: entries / Math.max(1, executionItems),
    }));
    const storage = executionItems
      ? hotStorageOfCopies([{ bytes: executionBytes, share: 1 }, ...indexCopies])
      : hotStoragePerMillion(executionBytes, 1);
    // A real archive pass (archiver + compactor, counted S3 requests) over the sustained executions.
    const archive = sus ? await measureArchive(bench, sus) : undefined;
    const archiveRequests = archive?.usdPerMillion.total ?? 0;
    const archiveStorage = archive?.storageUsdPerMillion ?? 0;
    const steady = sus?.perExecution ?? bst?.perExecution;
    // Provisioned capacity for the sustained scenario's steady rate (runs that arrived per second of the window).
    const provisioned = sus
      ? provisionedCostPerMillion(
          unitsByTarget(sus.steadyCounts, sus.arrived),
          sus.arrived / (sus.minutes * 60),
          sus.perExecution.costPerMillionUsd,
        )
      : undefined;

    const scenarios = {
      registration: reg,
      watcher,
      trigger: trig,
      burst: bst,
      baseline: base,
      sustained: sus,
    };
    const summary = {
      name: PLAN.name,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: {
        ...host,
        loadAverageAtEnd: os.loadavg().map(r1),
        dynalite: where(threads.dynamo),
        fauxqs: where(threads.sqs),
      },
      basis: {
        lateness: 'burst scenario: sink arrival minus scheduled instant',
        duplicatesLostExecutions: 'burst scenario (see allScenarios for every scenario together)',
        costPerMillionUsd:
          'burst execution window + sustained steady state (requests attributed to the runs they serve), per successful execution',
        steadyState:
          'sustained scenario: every request attributed to the runs it serves (bench/attribution.ts), plus the overhead made during the window, per run that arrived',
        costPerMillionUsdProvisioned:
          'sustained steady state, provisioned capacity per table and GSI for its measured rate at 70 % utilisation',
        residualWaitMs:
          'measured: per run message sent, scheduledAt − (request start + DelaySeconds × 1000), at least 0 (what the executor sleeps); ' +
          'the Lambda compute part uses the mean over burst + sustained (weighted by executions) instead of the assumed 500 ms',
      },
      lateness: {
        p50Ms: bst?.lateness.p50Ms ?? null,
        p99Ms: bst?.lateness.p99Ms ?? null,
        maxMs: bst?.lateness.maxMs ?? null,
      },
      duplicates: bst?.duplicates ?? 0,
      lost: bst?.lost ?? 0,
      executions: bst?.executions ?? 0,
      costPerMillionUsd: cost.total,
      costPerMillionUsdProvisioned: provisioned?.total ?? null,
      dynamodbRequestsPerRun: steady && {
        basis: sus ? 'sustained steady state' : 'burst',
        ...requestsPerRun(steady.ddbCalls),
      },
      sqsRequestsPerRun: steady && {
        basis: sus ? 'sustained steady state' : 'burst',
        total: steady.sqs.billedRequests,
        byOperation: steady.sqsCalls,
        messagesPerReceive: steady.sqs.messagesPerReceive,
      },
      latenessVsBaseline:
        bst && base
          ? {
              baselineP50Ms: base.lateness.p50Ms,
              baselineP99Ms: base.lateness.p99Ms,
              p50Ratio: r1(bst.lateness.p50Ms / Math.max(1, base.lateness.p50Ms)),
              p99Ratio: r1(bst.lateness.p99Ms / Math.max(1, base.lateness.p99Ms)),
              // What bounds the ratio on two cores: CPU per run of the burst against a bare call's.
              cpuPerRunMs: { burst: bst.cpuPerRun ?? null, baseline: base.cpuPerRun ?? null },
            }
          : null,
      allScenarios: {
        executions: (bst?.executions ?? 0) + (sus?.executions ?? 0) + (trig?.executions ?? 0),
        duplicates: (bst?.duplicates ?? 0) + (sus?.duplicates ?? 0) + (trig?.duplicates ?? 0),
        lost:
          (bst?.lost ?? 0) +
          (sus?.lost ?? 0) +
          (trig?.lost ?? 0) +
          watcher.reduce((s, w) => s + w.dueTick.lost, 0),
        deadLetterQueues: stats.deadLetterQueues,
        outcomes: stats.outcomes,
      },
      wruPerExecution: steady
        ? {
            basis: sus ? 'sustained steady state' : 'burst',
            total: steady.wru.total,
            baseTable: steady.wru.baseTable,
            gsi: steady.wru.gsi,
            byIndex: steady.wru.byIndex,
            byTable: steady.wru.byTable,
            conditionFailed: steady.wru.conditionFailed,
            rru: steady.rru.total,
            target: 2.5,
            windowedTotal: sus?.perExecutionWindowed.wru.total ?? null,
          }
        : null,
      cost: {
        perMillionExecutions: cost,
        usage: aggregate,
        provisioned: provisioned && { ...provisioned, assumptions: PROVISIONING },
        measured: {
          residualWaitMs: {
            used: aggregate.residualWaitMs ?? null,
            burst: bst?.perExecution.residualWait ?? null,
            sustained: sus?.perExecution.residualWait ?? null,
          },
        },
        allIn: {
          requests: cost.total,
          hotStorage90Days: storage,
          executionItemBytes: executionBytes,
          /** Per index: the bytes of the entry an execution leaves there, and the share of executions it holds. */
          executionIndexCopies: Object.fromEntries(
            Object.keys(indexItems).map((index, i) => [
              index,
              {
                bytes: Math.round(indexCopies[i]!.bytes),
                share: Math.round(indexCopies[i]!.share * 1000) / 1000,
              },
            ]),
          ),
          archiveRequests,
          archiveStorage400Days: archiveStorage,
          archivePutsPerExecution: archive?.perExecution.puts ?? null,
          total: Math.round((cost.total + storage + archiveRequests + archiveStorage) * 10_000) / 10_000,
        },
        comparison: COMPARISON,
        prices: PRICES,
        assumptions: ASSUMPTIONS,
      },
      archive: archive && {
        basis: archive.basis,
        executions: archive.executions,
        stagingObjects: archive.stagingObjects,
        parts: archive.compaction.parts,
        putsPerExecution: archive.perExecution.puts,
        getsPerExecution: archive.perExecution.gets,
        listsPerExecution: archive.perExecution.lists,
        usdPerMillion: archive.usdPerMillion,
        bytesPerExecution: archive.bytes.partsPerExecution,
        compactionMs: archive.compaction.ms,
      },
      registration: reg && {
        jobs: reg.jobs,
        perSecond: reg.perSecond,
        p50Ms: reg.latency.p50Ms,
        p99Ms: reg.latency.p99Ms,
        perCreate: reg.perCreate,
        jobsTableItems: reg.tables?.jobs.items,
        jobsTableBytes: reg.tables?.jobs.bytes,
        bytesPerJob: reg.tables?.bytesPerJob,
      },
      watcher: watcher.map((w) => ({
        activeNotDue: w.activeNotDue,
        emptyTickP50Ms: w.emptyTick.ms.p50Ms,
        emptyTickRru: w.emptyTick.rruPerShardTick,
        emptyTickDdbCalls: w.emptyTick.ddbCallsPerShardTick,
        dueRunsPerSecondPerShardP50: w.dueTick.runsPerSecondPerShard.p50Ms,
        dueRunsPerSecondAllShards: w.dueTick.runsPerSecondAllShards,
        perDueRun: w.dueTick.perRun,
        lost: w.dueTick.lost,
      })),
      trigger: trig && {
        p50Ms: trig.requestToTarget.p50Ms,
        p99Ms: trig.requestToTarget.p99Ms,
        apiP99Ms: trig.apiLatency.p99Ms,
        lost: trig.lost,
      },
      burst: bst && {
        runs: bst.jobs.created,
        fastPath: bst.jobs.fastPath,
        watcherPath: bst.jobs.watcherPath,
        drainMs: bst.drainMs,
        throughputPerSecond: bst.throughputPerSecond,
        wruPerExecution: bst.perExecution.wru.total,
        costPerMillionUsd: bst.perExecution.costPerMillionUsd.total,
      },
      sustained: sus && {
        jobs: sus.jobs,
        runsPerJobPerMinute: sus.runsPerJobPerMinute,
        executions: sus.executions,
        expected: sus.expected,
        arrived: sus.arrived,
        lost: sus.lost,
        skippedByMisfire: sus.skippedByMisfire,
        nothingSkipped: sus.nothingSkipped,
        stopReason: sus.stopReason,
        drainAfterWindowMs: sus.drainAfterWindowMs,
        duplicates: sus.duplicates,
        p50Ms: sus.lateness.p50Ms,
        p99Ms: sus.lateness.p99Ms,
        maxMs: sus.lateness.maxMs,
        worstWindowP99Ms: Math.max(0, ...sus.windows.map((w) => w.p99Ms)),
        cpu: sus.cpu,
        queue: sus.queue,
        wruPerExecution: sus.perExecution.wru.total,
        costPerMillionUsd: sus.perExecution.costPerMillionUsd.total,
        attribution: sus.attribution,
        windowed: {
          wruPerExecution: sus.perExecutionWindowed.wru.total,
          ddbCallsPerExecution: sus.perExecutionWindowed.ddbCalls.total,
          sqsRequestsPerExecution: sus.perExecutionWindowed.sqs.billedRequests,
          costPerMillionUsd: sus.perExecutionWindowed.costPerMillionUsd.total,
        },
      },
    };

    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${PLAN.name}-${stamp}`);
    const profile = await profiler?.stop();
    if (profile) {
      writeFileSync(`${file}.cpuprofile`, JSON.stringify(profile.raw));
      log(
        `wrote ${file}.cpuprofile (main thread; open in Chrome DevTools or: npx tsx bench/hotspots.ts FILE)`,
      );
    }
    writeFileSync(
      `${file}.json`,
      `${JSON.stringify({ summary, profile: profile?.summary, scenarios, finalTables }, null, 1)}\n`,
    );
    writeFileSync(`${file}.svg`, plot(summary.name, startedAt, bst, base, sus));
    log(`wrote ${file}.json and .svg`);
    if (profile) {
      const areas = profile.summary.areas.slice(0, 8).map((a) => `${a.name} ${a.pct}%`);
      log(`main thread busy ${profile.summary.busyPct}%: ${areas.join(', ')}`);
    }
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await bench.stop();
  }
}

function plot(
  name: string,
  startedAt: Date,
  bst: BurstResult | undefined,
  base: BaselineResult | undefined,
  sus: SustainedResult | undefined,
): string {
  return svgDocument(`scheduler bench (${name}), ${startedAt.toISOString()}`, [
    (top) =>
      bst
        ? histogramPanel(top, `Burst: start lateness of ${bst.executions} runs due at one second`, [
            {
              series: { label: 'scheduler (sink arrival − scheduled)', color: '#2b6cb0' },
              values: bst.samples.map((s) => s.latenessMs),
            },
            ...(base
              ? [{ series: { label: 'baseline: setTimeout + fetch', color: '#aaa' }, values: base.samples }]
              : []),
          ])
        : '',
    (top) =>
      bst
        ? scatterPanel(
            top,
            'Burst: lateness of each run by its arrival',
            bst.samples.map((s) => ({ x: s.arrivalMs / 1000, y: s.latenessMs })),
            { label: 'one run', color: '#2b6cb0' },
            'arrival after the burst instant (s)',
            'start lateness (ms)',
          )
        : '',
    (top) =>
      sus
        ? windowPanel(
            top,
            `Sustained: ${sus.perMinute}/min for ${sus.minutes} min, lateness per 10 s`,
            sus.windows,
            Date.parse(sus.startAt),
          )
        : '',
  ]);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
