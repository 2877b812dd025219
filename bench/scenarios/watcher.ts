import {
  type BenchContext,
  createJob,
  lookahead as currentLookahead,
  metered,
  secondAfter,
  setLookahead,
  shardCount,
  sleep,
  tickShard,
} from '../context.js';
import { total } from '../meter.js';
import { runPool, type Summary, summarize } from '../stats.js';

/**
 * Look-ahead of the measured ticks: time for the direct ticks of every shard (one after another,
 * about 100 due runs a second locally) to finish before the runs they sent fall due.
 */
const tickLookaheadSeconds = (dueRuns: number) => 5 + Math.ceil(dueRuns / 50);
const EMPTY_ROUNDS = 3;

export interface WatcherLevel {
  /** Active jobs in the table that are not due (the registration scenario's). */
  activeNotDue: number;
  /** Ticks of every shard with nothing due: the cost that must not grow with `activeNotDue`. */
  emptyTick: { shardTicks: number; ms: Summary; ddbCallsPerShardTick: number; rruPerShardTick: number };
  dueTick: {
    dueJobsCreated: number;
    dueJobsFound: number;
    runsEnqueued: number;
    /** Runs found and sent per second of one shard's tick (per shard, ticks run one after another). */
    runsPerSecondPerShard: Summary;
    runsPerSecondAllShards: number;
    msPerShard: Summary;
    perRun: { ddbCalls: number; wru: number; rru: number; sqsSendBatches: number };
    /** The sink path of this level's runs (unique per level). */
    path: string;
    /** Distinct runs at the sink 60 s after the due instant. */
    arrived: number;
    /** Runs never at the sink, counted again at the end of the whole benchmark (late is not lost). */
    lost: number;
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Ticks one shard at a time through the runtime's watcher timers (their interval is stopped):
 * first with nothing due, then with `perShard` due one-time runs per shard, created on the index
 * (look-ahead 0 while creating) and due soon after the tick.
 */
export async function watcherAt(
  ctx: BenchContext,
  activeNotDue: number,
  perShard: number,
): Promise<WatcherLevel> {
  const { bench } = ctx;
  const shards = shardCount(ctx);
  const savedLookahead = currentLookahead(ctx);

  const dueCount = perShard * shards;
  const lookahead = tickLookaheadSeconds(dueCount);
  setLookahead(ctx, lookahead);
  const emptyMs: number[] = [];
  const empty = await metered(ctx, async () => {
    for (let round = 0; round < EMPTY_ROUNDS; round++) {
      for (let shard = 0; shard < shards; shard++) {
        const started = performance.now();
        await tickShard(ctx, shard);
        emptyMs.push(performance.now() - started);
      }
    }
  });

  const path = `/watcher-${activeNotDue}`;
  const createSeconds = dueCount / Math.max(20, ctx.createRate);
  const dueAt = secondAfter(createSeconds * 1300 + (lookahead + 2) * 1000);
  setLookahead(ctx, 0);
  let indexed = 0;
  await runPool(dueCount, 16, async (i) => {
    const job = await createJob(ctx, {
      name: `due-${activeNotDue}-${i}`,
      schedule: { type: 'once', at: new Date(dueAt).toISOString() },
      target: { url: `${bench.sink.url}${path}`, method: 'POST', body: '{}' },
    });
    if (job.nextRunAt !== null) indexed++;
  });
  await sleep(dueAt - lookahead * 1000 + 200 - Date.now());
  setLookahead(ctx, lookahead);
  const perShardRate: number[] = [];
  const perShardMs: number[] = [];
  let found = 0;
  let enqueued = 0;
  const due = await metered(ctx, async () => {
    for (let shard = 0; shard < shards; shard++) {
      const started = performance.now();
      const report = await tickShard(ctx, shard);
      const took = performance.now() - started;
      perShardMs.push(took);
      found += report.dueJobs;
      enqueued += report.runsEnqueued;
      perShardRate.push(report.runsEnqueued / (took / 1000));
    }
  });
  setLookahead(ctx, savedLookahead);
  const deadline = dueAt + 60_000;
  const arrivedOf = () => bench.sink.arrivals.filter((a) => a.path === path).length;
  while (arrivedOf() < dueCount && Date.now() < deadline) await sleep(250);
  const arrived = new Set(bench.sink.arrivals.filter((a) => a.path === path).map((a) => a.key)).size;
  ctx.log(
    `watcher at ${activeNotDue} not due: empty tick p50 ${summarize(emptyMs).p50Ms} ms; ${enqueued}/${dueCount} due runs sent (${indexed} indexed), ${arrived} arrived`,
  );
  const shardTicks = EMPTY_ROUNDS * shards;
  const totalMs = perShardMs.reduce((a, b) => a + b, 0);
  const per = (n: number) => (enqueued ? round(n / enqueued) : 0);
  return {
    activeNotDue,
    emptyTick: {
      shardTicks,
      ms: summarize(emptyMs),
      ddbCallsPerShardTick: round(total(empty.counts, 'ddb.call.') / shardTicks),
      rruPerShardTick: round(total(empty.counts, 'ddb.rru.') / shardTicks),
    },
    dueTick: {
      dueJobsCreated: dueCount,
      dueJobsFound: found,
      runsEnqueued: enqueued,
      runsPerSecondPerShard: summarize(perShardRate),
      runsPerSecondAllShards: Math.round(enqueued / (totalMs / 1000)),
      msPerShard: summarize(perShardMs),
      perRun: {
        ddbCalls: per(total(due.counts, 'ddb.call.')),
        wru: per(total(due.counts, 'ddb.wru.')),
        rru: per(total(due.counts, 'ddb.rru.')),
        sqsSendBatches: per(due.counts['sqs.call.SendMessageBatch'] ?? 0),
      },
      path,
      arrived,
      lost: dueCount - arrived,
    },
  };
}
