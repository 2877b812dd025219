/**
 * `npm run bench:ledger`: the per-run ledger. The local runtime (its own watcher every 60 s,
 * look-ahead as configured, as under `npm start`), one every-minute cron, one one-time job and one
 * manual trigger; once they have run, every AWS request one run of each bore, in order: who made
 * it, the operation, the table/index or queue, the share of it this run bears, its write units (by
 * table and index, DynamoDB's rules as in bench/capacity.ts), read units and SQS requests.
 *
 * Flags: --runs=3 (cron runs to wait for; the ledger shows the last, planned by a watcher tick —
 * with a queue-ahead of 15 minutes pass --runs=20 to see one planned by a later top-up);
 * --json (the ledgers as JSON on stdout instead of text).
 */
import { attribute } from './attribution.js';
import { type BenchContext, createJob, sleep } from './context.js';
import { startBench } from './harness.js';
import { formatLedger, type RunLedger, runLedger } from './ledger-format.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const cronRuns = Math.max(2, Number(arg('runs') ?? 3));
const asJson = process.argv.includes('--json');

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const log = (m: string) => process.stderr.write(`[ledger] ${m}\n`);
  const bench = await startBench();
  const ctx: BenchContext = { bench, quick: true, createRate: 100, log };
  const apiCalls = new Map<string, { from: number; to: number }[]>();
  const timed = async <T>(job: () => string | undefined, call: () => Promise<T>) => {
    const from = Date.now();
    const out = await call();
    const id = job();
    if (id) apiCalls.set(id, [...(apiCalls.get(id) ?? []), { from, to: Date.now() }]);
    return out;
  };
  try {
    const target = (path: string) => ({ url: `${bench.sink.url}${path}`, method: 'POST', body: '{}' });
    // Created before the log: its creation is no part of the trigger's run.
    const yearly = await createJob(ctx, {
      name: 'ledger-trigger',
      schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
      target: target('/trigger'),
    });
    bench.meter.startLog();
    let cronId = '';
    const cron = await timed(
      () => cronId,
      async () => {
        const job = await createJob(ctx, {
          name: 'ledger-cron',
          schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' },
          target: target('/cron'),
        });
        cronId = job.id;
        return job;
      },
    );
    let onceId = '';
    const onceAt = new Date(Math.ceil((Date.now() + 15_000) / 1000) * 1000).toISOString();
    await timed(
      () => onceId,
      async () => {
        onceId = (
          await createJob(ctx, {
            name: 'ledger-once',
            schedule: { type: 'once', at: onceAt },
            target: target('/once'),
          })
        ).id;
      },
    );
    const triggered = await timed(
      () => yearly.id,
      () => bench.api('POST', `/v1/jobs/${yearly.id}/trigger`),
    );
    const triggerRun = (triggered.body as { executionId?: string } | undefined)?.executionId;
    if (triggered.status !== 202 || !triggerRun)
      throw new Error(`trigger answered ${triggered.status}: ${JSON.stringify(triggered.body)}`);
    log(
      `cron ${cron.id}, once ${onceId} at ${onceAt}, trigger ${triggerRun}; waiting for ${cronRuns} cron runs (about ${cronRuns + 1} min)`,
    );

    const arrived = (path: string) => bench.sink.arrivals.filter((a) => a.path === path);
    const deadline = Date.now() + (cronRuns + 3) * 60_000;
    while (
      (arrived('/cron').length < cronRuns || arrived('/once').length < 1 || arrived('/trigger').length < 1) &&
      Date.now() < deadline
    ) {
      await sleep(500);
    }
    // The executor writes the result and deletes the message after the target answered.
    await sleep(3000);
    const records = bench.meter.stopLog();
    const { byRun, unattributed } = attribute(records);

    const ledgers: RunLedger[] = [];
    const pick = (label: string, run: string | undefined, scheduledAt: number, jobId: string) => {
      if (!run) throw new Error(`${label}: no run reached the sink`);
      ledgers.push(runLedger(label, run, byRun.get(run) ?? [], scheduledAt, apiCalls.get(jobId) ?? []));
    };
    const cronArrivals = arrived('/cron');
    const steady = cronArrivals.at(-1);
    pick(
      `every-minute cron, run ${cronArrivals.length} of ${cronArrivals.length}`,
      steady?.key,
      steady?.scheduledAt ?? 0,
      cron.id,
    );
    const once = arrived('/once')[0];
    pick('one-time job (its creation included: one job, one run)', once?.key, once?.scheduledAt ?? 0, onceId);
    const trig = arrived('/trigger')[0];
    pick('manual trigger (POST …/trigger)', trig?.key, trig?.scheduledAt ?? 0, yearly.id);

    const seconds = (Math.max(...records.map((r) => r.at)) - Math.min(...records.map((r) => r.at))) / 1000;
    const overhead = unattributed.reduce((s, u) => s + u.fraction, 0);
    if (asJson) {
      process.stdout.write(
        `${JSON.stringify({ ledgers, overhead: { requests: overhead, seconds } }, null, 1)}\n`,
      );
      return;
    }
    const cronLedger = ledgers[0]!;
    if (cronLedger.lines.some((l) => l.source === 'api')) {
      log('the cron run shown was planned by the create call, not by a watcher tick: pass a larger --runs');
    }
    process.stdout.write(
      [
        `Per-run ledger, ${new Date().toISOString()}: every AWS request a run bore, in order ("at ms": from its scheduled instant;`,
        '"share": the part of a request this run bears — a batch, an advance or a query serving several runs is split over them).',
        '',
        ...ledgers.map((l) => `${formatLedger(l)}\n`),
        `Serving no run: ${Math.round(overhead)} requests over ${Math.round(seconds)} s (empty long-polls of the executor pollers, watcher watermarks and empty due queries); a steady load pays them per unit of time, not per run.`,
        '',
      ].join('\n'),
    );
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`ledger failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
