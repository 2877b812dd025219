import { type BenchContext, createJob } from '../context.js';
import { EXECUTIONS_TABLE, JOBS_TABLE, type TableSize, tableSize } from '../harness.js';
import { type Counts, diff, total } from '../meter.js';
import { runPool, type Summary, summarize } from '../stats.js';
import { CpuMeter, type CpuPerItem, threadCpu } from '../thread-cpu.js';

const DAY = 86_400_000;

/**
 * A job that is active but not due for a long time: half yearly crons, half one-time runs 1–30
 * days out. None lands in the current hour's `due` bucket, so a watcher tick must not read them.
 */
export function notDueJob(i: number, sinkUrl: string, now: number) {
  const schedule =
    i % 2 === 0
      ? { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' }
      : { type: 'once', at: new Date(now + DAY + (i % 30) * DAY + (i % 3600) * 1000).toISOString() };
  return {
    name: `registered-${i}`,
    schedule,
    target: {
      url: `${sinkUrl}/idle`,
      method: 'POST',
      body: '{"report":"daily"}',
      headers: { 'x-team': 'bench' },
    },
  };
}

export interface RegistrationResult {
  jobs: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  latency: Summary;
  throttled: number;
  /** AWS calls and units per create. */
  perCreate: { ddbCalls: number; wru: number; rru: number; sqsRequests: number };
  /** CPU per create in this process (client, API, emulators): far steadier than the latency under load. */
  cpuPerCreate?: CpuPerItem;
  counts: Counts;
  tables?: { jobs: TableSize; executions: TableSize; bytesPerJob: number };
}

/**
 * Creates `target` jobs through the API with bounded concurrency, in segments so the watcher
 * scenario can measure a tick at each population (`onCheckpoint`). Only the creating counts.
 */
export async function registration(
  ctx: BenchContext,
  target: number,
  checkpoints: number[],
  onCheckpoint: (created: number) => Promise<void>,
  concurrency = 16,
): Promise<RegistrationResult> {
  const { bench } = ctx;
  const latencies: number[] = [];
  const throttled = { count: 0 };
  let created = 0;
  let busyMs = 0;
  let counts: Counts = {};
  const cpu = new CpuMeter();
  const now = Date.now();
  for (const stop of [...checkpoints.filter((c) => c < target), target]) {
    const from = created;
    const before = bench.meter.snapshot();
    const started = performance.now();
    const cpuBefore = threadCpu();
    await runPool(stop - from, concurrency, async (k) => {
      await createJob(ctx, notDueJob(from + k, bench.sink.url, now), latencies, throttled);
    });
    cpu.add(cpuBefore, threadCpu());
    busyMs += performance.now() - started;
    const segment = diff(bench.meter.snapshot(), before);
    for (const [name, value] of Object.entries(segment)) counts[name] = (counts[name] ?? 0) + value;
    created = stop;
    ctx.createRate = created / (busyMs / 1000);
    ctx.log(`registration: ${created} jobs, ${Math.round(created / (busyMs / 1000))}/s`);
    if (checkpoints.includes(stop)) await onCheckpoint(created);
  }
  counts = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
  const per = (n: number) => Math.round((n / created) * 1000) / 1000;
  const cpuPerCreate = cpu.per(created);
  return {
    jobs: created,
    concurrency,
    seconds: Math.round(busyMs / 100) / 10,
    perSecond: Math.round(created / (busyMs / 1000)),
    latency: summarize(latencies),
    throttled: throttled.count,
    perCreate: {
      ddbCalls: per(total(counts, 'ddb.call.')),
      wru: per(total(counts, 'ddb.wru.')),
      rru: per(total(counts, 'ddb.rru.')),
      sqsRequests: per(counts['sqs.billedRequests'] ?? 0),
    },
    ...(cpuPerCreate ? { cpuPerCreate } : {}),
    counts,
  };
}

/** Size of both tables now (a full scan on the uncounted client). */
export async function tableSizes(
  ctx: BenchContext,
  jobs: number,
): Promise<{ jobs: TableSize; executions: TableSize; bytesPerJob: number }> {
  const jobsTable = ctx.bench.tables.find((t) => t.name === JOBS_TABLE);
  const executionsTable = ctx.bench.tables.find((t) => t.name === EXECUTIONS_TABLE);
  if (!jobsTable || !executionsTable) throw new Error('the emulator has no jobs or executions table');
  const jobsSize = await tableSize(
    ctx.bench,
    jobsTable,
    (item) => !String(item.jobId?.S ?? '').startsWith('#'),
  );
  const executionsSize = await tableSize(ctx.bench, executionsTable, () => true);
  return {
    jobs: jobsSize,
    executions: executionsSize,
    bytesPerJob: jobs ? Math.round(jobsSize.bytes / Math.max(1, jobsSize.items)) : 0,
  };
}
