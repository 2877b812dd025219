/**
 * `npm run bench:restart`: kill -9 of `npm start` with N active jobs, and its restart on the same
 * data directory. `npm start`'s entry point runs as a real child process (as a user runs it, with
 * its defaults: watcher every 60 s, look-ahead 120 s); N crons spread over a period call a real
 * HTTP sink in this process. After `--before-kill` seconds of runs the child gets SIGKILL (the SQS
 * emulator's messages die with it) and is started again at once; the bench reports:
 *
 * - time to healthy: from the restart to the first 200 from GET /healthz;
 * - time to recovered: when the runtime says its recovery of lost runs has finished — a
 *   `recovery` object on /healthz whose `state` is `done` (or that has `finishedAt`), or a stdout
 *   line `recovery finished…`; the runtime today has neither, and recovers before it listens, so
 *   the `listening on` line marks the end of recovery (`recoveredSignal` says which was used);
 * - owed runs delivered: from the restart until every run due before the scheduler was healthy
 *   again (the runs a restart puts at risk) has reached the sink or been recorded as skipped —
 *   observed at the sink, whatever the runtime says;
 * - expected runs (every job's runs from the end of the set-up to `--after` seconds past healthy),
 *   arrived, skipped by the misfire policy, lost; duplicates (a second 2xx-answered call for one
 *   execution), and among them the calls in flight at the kill that were made again after it.
 *
 * Flags: --jobs=10000 --period=60 (seconds, divides 60) --before-kill=90 --after=120 --port=N
 * (default a free port). The JSON goes to bench/results/restart-<time>.json and, as the last
 * line, to stdout; progress to stderr. 10,000 jobs take about 6 minutes on 2 quiet cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './context.js';
import { type SinkArrival, startBenchSink } from './sink.js';
import { spreadCron, spreadRuns } from './spread-crons.js';
import { countDuplicates, runPool, summarize } from './stats.js';

const arg = (name: string, fallback: number) => {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}=${raw}: a number is needed`);
  return n;
};
const JOBS = arg('jobs', 10_000);
const PERIOD = arg('period', 60);
const BEFORE_KILL_MS = arg('before-kill', 90) * 1000;
const AFTER_MS = arg('after', 120) * 1000;
const API_KEY = 'bench-key';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const log = (m: string) => process.stderr.write(`[restart ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Child {
  process: ChildProcess;
  startedAt: number;
  /** Epoch ms of the first stdout line matching each pattern seen so far. */
  seen: Map<string, number>;
  output(): string;
  exited: Promise<number | string>;
}

const LINES = {
  listening: /listening on http:\/\/127\.0\.0\.1:\d+/,
  recoveredBanner: /recovered (\d+) queued runs/,
  recoveryFinished: /recovery (finished|complete|done)/i,
};

/** `npm start`'s entry point, as a user runs it (the same as test/support/process.ts, on a port of ours). */
function startScheduler(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const seen = new Map<string, number>();
  const read = (d: Buffer) => {
    out += d.toString();
    for (const [name, pattern] of Object.entries(LINES))
      if (!seen.has(name) && pattern.test(out)) seen.set(name, Date.now());
    if (out.length > 100_000) out = out.slice(-50_000);
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { process: child, startedAt: Date.now(), seen, output: () => out, exited };
}

interface Health {
  status: number;
  body: Record<string, unknown> | undefined;
}

async function health(url: string): Promise<Health | undefined> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  } catch {
    return undefined;
  }
}

/** The runtime's own word that recovery has finished, on /healthz (the hook this bench asks for). */
export function recoveryDone(body: Record<string, unknown> | undefined): boolean {
  const recovery = body?.recovery;
  if (recovery === null || typeof recovery !== 'object') return false;
  const r = recovery as Record<string, unknown>;
  return r.state === 'done' || r.finishedAt !== undefined;
}

/**
 * Polls /healthz every 25 ms from the start of `child`: when it first answered 200, and when the
 * runtime first said its recovery was done (on /healthz or stdout), up to `timeoutMs`.
 */
async function watchStartup(child: Child, url: string, timeoutMs: number) {
  let healthyAt: number | undefined;
  let recoveredAt: number | undefined;
  let recoveredBy: string | undefined;
  const deadline = child.startedAt + timeoutMs;
  while (Date.now() < deadline && recoveredAt === undefined) {
    const h = await health(url);
    if (h?.status === 200) {
      healthyAt ??= Date.now();
      if (recoveryDone(h.body)) {
        recoveredAt = Date.now();
        recoveredBy = 'GET /healthz recovery.state';
      }
    }
    const line = child.seen.get('recoveryFinished');
    if (recoveredAt === undefined && line !== undefined) {
      recoveredAt = line;
      recoveredBy = 'stdout "recovery finished" line';
    }
    if (healthyAt !== undefined && recoveredAt === undefined && Date.now() - healthyAt > 60_000) break;
    await sleep(25);
  }
  return { healthyAt, recoveredAt, recoveredBy };
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** How the duplicates fall: calls in flight at the kill made again after it, and the others. */
export function duplicateKinds(arrivals: readonly SinkArrival[], killAt: number) {
  const firstOk = new Map<string, number>();
  let inFlightAtKill = 0;
  let other = 0;
  for (const a of arrivals) {
    const first = firstOk.get(a.key);
    if (first === undefined) {
      if (a.status >= 200 && a.status < 300) firstOk.set(a.key, a.at);
      continue;
    }
    if (first < killAt && a.at > killAt) inFlightAtKill++;
    else other++;
  }
  return { total: countDuplicates(arrivals), inFlightAtKill, other };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const startedAt = new Date();
  const port = arg('port', 0) || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'scheduler-restart-'));
  const sink = await startBenchSink();
  const env = {
    PORT: String(port),
    SCHEDULER_DATA_DIR: dataDir,
    SCHEDULER_API_KEYS: `${API_KEY}:bench`,
    SCHEDULER_LOG_LEVEL: 'error',
    // One tenant carries the whole load: its quotas (docs/security.md) would cap the benchmark.
    SCHEDULER_MAX_JOBS_PER_TENANT: '10000000',
    SCHEDULER_MAX_EXECUTIONS_PER_TENANT_PER_MINUTE: '10000000',
    SCHEDULER_API_RATE_PER_SECOND: '1000000',
    SCHEDULER_API_BURST: '1000000',
  };
  const load = os.loadavg().map((n) => Math.round(n * 10) / 10);
  log(
    `${JOBS} crons every ${PERIOD} s, kill -9 after ${BEFORE_KILL_MS / 1000} s of runs, load ${load.join(' ')}, data ${dataDir}, port ${port}`,
  );
  let child = startScheduler(env);
  try {
    const first = await watchStartup(child, url, 60_000);
    if (first.healthyAt === undefined) throw new Error(`the scheduler did not start:\n${child.output()}`);

    const createdFrom = Date.now();
    const jobIds: string[] = new Array(JOBS);
    await runPool(JOBS, 16, async (i) => {
      for (;;) {
        const res = await api(url, 'POST', '/v1/jobs', {
          name: `restart-${i}`,
          schedule: { type: 'cron', expression: spreadCron(i, PERIOD), timezone: 'UTC' },
          target: { url: `${sink.url}/restart`, method: 'POST', body: '{}' },
        });
        if (res.status === 201) {
          jobIds[i] = String(res.body.id);
          return;
        }
        if (res.status !== 429) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
        await sleep(1000);
      }
    });
    // Every job exists from here on: its runs from this second are expected.
    const checkFrom = Math.ceil((Date.now() + 1000) / 1000) * 1000;
    log(
      `created ${JOBS} jobs in ${((checkFrom - createdFrom) / 1000).toFixed(1)} s; runs counted from ${new Date(checkFrom).toISOString()}`,
    );

    await sleep(checkFrom + BEFORE_KILL_MS - Date.now());
    const killAt = Date.now();
    child.process.kill('SIGKILL');
    const signal = await child.exited;
    log(`killed (${signal}) with ${sink.arrivals.length} runs at the sink; restarting`);

    child = startScheduler(env);
    const restartAt = child.startedAt;
    const second = await watchStartup(child, url, 600_000);
    if (second.healthyAt === undefined)
      throw new Error(`the scheduler did not come back:\n${child.output()}`);
    const listeningAt = child.seen.get('listening');
    const recoveredAt = second.recoveredAt ?? listeningAt;
    const recoveredSignal =
      second.recoveredBy ??
      'the "listening on" line: no recovery hook seen; today recovery runs before the API listens';
    const banner = /recovered (\d+) queued runs/.exec(child.output());
    log(
      `healthy after ${second.healthyAt - restartAt} ms, recovered after ${recoveredAt === undefined ? '?' : recoveredAt - restartAt} ms`,
    );

    // Every run from the end of the set-up to `after` past healthy must reach the sink once.
    const checkUntil = second.healthyAt + AFTER_MS;
    const expected = jobIds.flatMap((id, i) => spreadRuns(id, i, PERIOD, checkFrom, checkUntil));
    const owed = new Set(jobIds.flatMap((id, i) => spreadRuns(id, i, PERIOD, checkFrom, second.healthyAt!)));
    const expectedSet = new Set(expected);
    const arrivedAt = new Map<string, number>();
    const scan = () => {
      for (const a of sink.arrivals)
        if (expectedSet.has(a.key) && !arrivedAt.has(a.key)) arrivedAt.set(a.key, a.at);
    };
    const capAt = checkUntil + 120_000;
    let lastCount = -1;
    let quietSince = Date.now();
    while (Date.now() < capAt) {
      scan();
      if (arrivedAt.size >= expected.length && Date.now() > checkUntil) break;
      if (arrivedAt.size !== lastCount) {
        lastCount = arrivedAt.size;
        quietSince = Date.now();
      } else if (Date.now() > checkUntil + 5000 && Date.now() - quietSince > 30_000) break;
      await sleep(500);
    }
    scan();
    const missing = expected.filter((k) => !arrivedAt.has(k));
    /** Skipped run -> when it was recorded as skipped. */
    const skipped = new Map<string, number>();
    await runPool(missing.length, 8, async (i) => {
      const res = await api(url, 'GET', `/v1/executions/${encodeURIComponent(missing[i]!)}`);
      if (res.body.status === 'skipped') skipped.set(missing[i]!, Date.parse(String(res.body.finishedAt)));
    });
    const owedSettledAt = [...owed].map((k) => arrivedAt.get(k) ?? skipped.get(k) ?? Number.NaN);
    const owedDelivered = owedSettledAt.every((t) => Number.isFinite(t));
    const arrivals = sink.arrivals.filter((a) => expectedSet.has(a.key));
    const dup = duplicateKinds(arrivals, killAt);
    const lateAfterKill = arrivals
      .filter((a) => a.scheduledAt >= killAt && a.scheduledAt < checkUntil)
      .map((a) => a.at - a.scheduledAt);
    const summary = {
      name: 'restart',
      startedAt: startedAt.toISOString(),
      machine: {
        nproc: os.availableParallelism(),
        loadAverageAtStart: load,
        loadAverageAtEnd: os.loadavg().map((n) => Math.round(n * 10) / 10),
      },
      jobs: JOBS,
      periodSeconds: PERIOD,
      runsPerSecond: Math.round((JOBS / PERIOD) * 10) / 10,
      beforeKillMs: BEFORE_KILL_MS,
      downMs: restartAt - killAt,
      timeToHealthyMs: second.healthyAt - restartAt,
      timeToRecoveredMs: recoveredAt === undefined ? null : recoveredAt - restartAt,
      recoveredSignal,
      recoveredRunsReported: banner ? Number(banner[1]) : null,
      owedRuns: owed.size,
      owedRunsDeliveredMs: owedDelivered ? Math.max(restartAt, ...owedSettledAt) - restartAt : null,
      expected: expected.length,
      arrived: arrivedAt.size,
      skippedByMisfire: skipped.size,
      lost: missing.length - skipped.size,
      duplicates: dup.total,
      duplicatesOfCallsInFlightAtKill: dup.inFlightAtKill,
      otherDuplicates: dup.other,
      latenessOfRunsDueAfterKill: summarize(lateAfterKill),
      targets: { timeToHealthyMs: 3000, timeToRecoveredMs: 30_000, lost: 0, duplicates: 0 },
    };
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `restart-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(summary, null, 1)}\n`);
    log(`wrote ${file}`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    child.process.kill('SIGTERM');
    await Promise.race([child.exited, sleep(20_000)]);
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`restart bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
