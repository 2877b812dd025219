/**
 * `npm run bench:restart`: kill -9 of `npm start` with N active jobs, and its restart on the same
 * data directory. `npm start`'s entry point runs as a real child process (as a user runs it, with
 * its defaults: watcher every 60 s, look-ahead 120 s); N crons spread over a period call a real
 * HTTP sink in this process. After `--before-kill` seconds of runs the child gets SIGKILL (the SQS
 * emulator's messages die with it) and is started again at once; the bench reports:
 *
 * - time to healthy: from the restart to the first 200 from GET /healthz;
 * - time to recovered: when the runtime says its recovery of lost runs has finished — the
 *   `recovery` object on /healthz whose `state` is `done` (or that has `finishedAt`), or a stdout
 *   line `recovery finished…`; a runtime with neither (one that recovered before it listened)
 *   has the `listening on` line taken instead (`recoveredSignal` says which was used);
 *   `recoveryReported` is the runtime's last word on it (how, messages to send again, sent);
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
import { startLoadThread } from './load-thread.js';
import type { SinkArrival } from './sink.js';
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
 * runtime first said its recovery was done (on /healthz or stdout). With `untilRecovered`, it keeps
 * polling after healthy while /healthz carries a `recovery` object or until a stdout line says so
 * (up to `timeoutMs`); a /healthz without one is a runtime with no hook, and polling stops.
 */
async function watchStartup(child: Child, url: string, timeoutMs: number, untilRecovered: boolean) {
  let healthyAt: number | undefined;
  let recoveredAt: number | undefined;
  let recoveredBy: string | undefined;
  let hook = false;
  let recovery: unknown;
  const deadline = child.startedAt + timeoutMs;
  while (Date.now() < deadline && recoveredAt === undefined) {
    const h = await health(url);
    if (h?.status === 200) {
      healthyAt ??= Date.now();
      hook ||= h.body?.recovery !== undefined;
      recovery = h.body?.recovery ?? recovery;
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
    if (healthyAt !== undefined && (!untilRecovered || !hook)) break;
    await sleep(25);
  }
  return { healthyAt, recoveredAt, recoveredBy, recovery };
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

/**
 * How the duplicates fall: calls in flight at the kill made again after it, and the others; with
 * up to five of each (arrival times from the kill, attempt numbers) to look into. `deadBy` is when
 * the bench saw the killed process exit: the sink stamps a call when the bench's event loop handles
 * it, which can be after the SIGKILL of a call already on the wire, but a call handled before the
 * exit was seen was sent by the process before it died.
 */
export function duplicateKinds(arrivals: readonly SinkArrival[], killAt: number, deadBy = killAt) {
  const first = new Map<string, SinkArrival>();
  const samples: {
    kind: 'inFlightAtKill' | 'other';
    key: string;
    msFromKill: number[];
    attempts: number[];
  }[] = [];
  let inFlightAtKill = 0;
  let other = 0;
  for (const a of arrivals) {
    const earlier = first.get(a.key);
    if (earlier === undefined) {
      if (a.status >= 200 && a.status < 300) first.set(a.key, a);
      continue;
    }
    const kind = earlier.at <= deadBy && a.at > deadBy ? 'inFlightAtKill' : 'other';
    if (kind === 'inFlightAtKill') inFlightAtKill++;
    else other++;
    if (samples.filter((s) => s.kind === kind).length < 5) {
      samples.push({
        kind,
        key: a.key,
        msFromKill: [earlier.at - killAt, a.at - killAt],
        attempts: [earlier.attempt, a.attempt],
      });
    }
  }
  return { total: countDuplicates(arrivals), inFlightAtKill, other, samples };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const startedAt = new Date();
  const port = arg('port', 0) || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'scheduler-restart-'));
  const { sink } = await startLoadThread();
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
    const first = await watchStartup(child, url, 60_000, false);
    if (first.healthyAt === undefined) throw new Error(`the scheduler did not start:\n${child.output()}`);
    const freshStartHealthyMs = first.healthyAt - child.startedAt;

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
    const exitSeenAt = Date.now();
    log(`killed (${signal}) with ${sink.arrivals.length} runs at the sink; restarting`);

    child = startScheduler(env);
    const restartAt = child.startedAt;
    const second = await watchStartup(child, url, 600_000, true);
    if (second.healthyAt === undefined)
      throw new Error(`the scheduler did not come back:\n${child.output()}`);
    const listeningAt = child.seen.get('listening');
    const recoveredAt = second.recoveredAt ?? listeningAt;
    const recoveredSignal =
      second.recoveredBy ??
      'the "listening on" line: no recovery hook seen (a runtime that recovers before it listens)';
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
    // A run whose executor was killed mid-call comes back once its lease has run out (call timeout +
    // lease margin) and a watcher tick reaps it: allow 150 s past the window before calling a run lost.
    const capAt = checkUntil + 150_000;
    /** Skipped run -> when it was recorded as skipped. */
    const skipped = new Map<string, number>();
    const missingNow = () => expected.filter((k) => !arrivedAt.has(k) && !skipped.has(k));
    const lookUpMissing = async (missing: string[]) => {
      await runPool(missing.length, 8, async (i) => {
        const res = await api(url, 'GET', `/v1/executions/${encodeURIComponent(missing[i]!)}`);
        if (res.body.status === 'skipped') skipped.set(missing[i]!, Date.parse(String(res.body.finishedAt)));
      });
    };
    let lastCount = -1;
    let quietSince = Date.now();
    while (Date.now() < capAt) {
      scan();
      if (arrivedAt.size + skipped.size >= expected.length && Date.now() > checkUntil) break;
      if (arrivedAt.size !== lastCount) {
        lastCount = arrivedAt.size;
        quietSince = Date.now();
      } else if (Date.now() > checkUntil && Date.now() - quietSince > 20_000) {
        // Quiet: are the runs still missing skipped by the misfire policy (final), or still to come?
        const missing = missingNow();
        if (missing.length <= 5000) await lookUpMissing(missing);
        quietSince = Date.now();
        continue;
      }
      await sleep(500);
    }
    scan();
    await lookUpMissing(missingNow());
    const missing = expected.filter((k) => !arrivedAt.has(k));
    // What the runtime says of up to ten lost runs (a record not final, or none: 404).
    const lostSamples = await Promise.all(
      missing
        .filter((k) => !skipped.has(k))
        .slice(0, 10)
        .map(async (key) => {
          const res = await api(url, 'GET', `/v1/executions/${encodeURIComponent(key)}`);
          return {
            key,
            httpStatus: res.status,
            status: res.body.status ?? null,
            attempts: res.body.attempts ?? null,
          };
        }),
    );
    const owedSettledAt = [...owed].map((k) => arrivedAt.get(k) ?? skipped.get(k) ?? Number.NaN);
    const owedDelivered = owedSettledAt.every((t) => Number.isFinite(t));
    const attemptOf = new Map(sink.arrivals.map((a) => [a.key, a.attempt]));
    const slowestOwed = [...owed]
      .map((key, i) => ({ key, msAfterRestart: owedSettledAt[i]! - restartAt }))
      .sort(
        (a, b) =>
          (Number.isNaN(b.msAfterRestart) ? Infinity : b.msAfterRestart) -
          (Number.isNaN(a.msAfterRestart) ? Infinity : a.msAfterRestart),
      )
      .slice(0, 3)
      .map((o) => ({ ...o, skipped: skipped.has(o.key), attempt: attemptOf.get(o.key) ?? null }));
    const arrivals = sink.arrivals.filter((a) => expectedSet.has(a.key));
    const dup = duplicateKinds(arrivals, killAt, exitSeenAt);
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
      /** The same on an empty data directory: what starting the process costs before any recovery. */
      freshStartHealthyMs,
      timeToRecoveredMs: recoveredAt === undefined ? null : recoveredAt - restartAt,
      recoveredSignal,
      recoveredRunsReported: banner ? Number(banner[1]) : null,
      recoveryReported: second.recovery ?? null,
      owedRuns: owed.size,
      owedRunsDeliveredMs: owedDelivered ? Math.max(restartAt, ...owedSettledAt) - restartAt : null,
      slowestOwedRuns: slowestOwed,
      expected: expected.length,
      arrived: arrivedAt.size,
      skippedByMisfire: skipped.size,
      lost: missing.length - skipped.size,
      lostSamples,
      duplicates: dup.total,
      killToExitSeenMs: exitSeenAt - killAt,
      duplicatesOfCallsInFlightAtKill: dup.inFlightAtKill,
      otherDuplicates: dup.other,
      duplicateSamples: dup.samples,
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
