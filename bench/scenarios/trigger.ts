import { type BenchContext, createJob, metered, sleep } from '../context.js';
import { countDuplicates, countLost, runPool, type Summary, summarize } from '../stats.js';
import { CpuMeter, type CpuPerItem, threadCpu } from '../thread-cpu.js';
import { type PerExecution, perExecution } from '../usage.js';

const JOBS = 100;
const CONCURRENCY = 8;

export interface TriggerResult {
  triggers: number;
  concurrency: number;
  /** POST …/trigger until its 202. */
  apiLatency: Summary;
  /** From sending the trigger request to the target being called. */
  requestToTarget: Summary;
  executions: number;
  duplicates: number;
  /** Triggers never at the sink, counted again at the end of the whole benchmark (late is not lost). */
  lost: number;
  perExecution: PerExecution;
  /** CPU per trigger in this process, request to the target's call (far steadier than the latency under load). */
  cpuPerTrigger?: CpuPerItem;
}

/** `count` manual triggers spread over 100 jobs (not otherwise due), `CONCURRENCY` requests at a time. */
export async function trigger(ctx: BenchContext, count: number): Promise<TriggerResult> {
  const { bench } = ctx;
  const path = '/trigger';
  const jobIds: string[] = [];
  await runPool(JOBS, 16, async (i) => {
    const job = await createJob(ctx, {
      name: `trigger-${i}`,
      schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
      target: { url: `${bench.sink.url}${path}`, method: 'POST', body: '{"manual":true}' },
    });
    jobIds.push(job.id);
  });
  const sentAt = new Map<string, number>();
  const apiLatencies: number[] = [];
  const before = (await bench.runtime.stats()).outcomes.succeeded ?? 0;
  const cpu = new CpuMeter();
  const cpuBefore = threadCpu();
  const window = await metered(ctx, async () => {
    await runPool(count, CONCURRENCY, async (i) => {
      const started = Date.now();
      const res = await bench.api('POST', `/v1/jobs/${jobIds[i % JOBS]}/trigger`);
      if (res.status !== 202) throw new Error(`trigger answered ${res.status}: ${JSON.stringify(res.body)}`);
      apiLatencies.push(res.ms);
      sentAt.set((res.body as { executionId: string }).executionId, started);
    });
    const deadline = Date.now() + 60_000;
    while (bench.sink.arrivals.filter((a) => a.path === path).length < count && Date.now() < deadline) {
      await sleep(100);
    }
  });
  cpu.add(cpuBefore, threadCpu());
  const succeeded = ((await bench.runtime.stats()).outcomes.succeeded ?? 0) - before;
  const arrivals = bench.sink.arrivals.filter((a) => a.path === path);
  const latencies = arrivals.flatMap((a) => {
    const sent = sentAt.get(a.key);
    return sent === undefined ? [] : [a.at - sent];
  });
  const seen = new Set(arrivals.map((a) => a.key));
  const result: TriggerResult = {
    triggers: count,
    concurrency: CONCURRENCY,
    apiLatency: summarize(apiLatencies),
    requestToTarget: summarize(latencies),
    executions: seen.size,
    duplicates: countDuplicates(arrivals),
    lost: countLost(sentAt.keys(), seen),
    perExecution: perExecution(window.counts, succeeded),
  };
  const cpuPerTrigger = cpu.per(count);
  if (cpuPerTrigger) result.cpuPerTrigger = cpuPerTrigger;
  ctx.log(
    `trigger: p50 ${result.requestToTarget.p50Ms} ms, p99 ${result.requestToTarget.p99Ms} ms to the target`,
  );
  return result;
}
