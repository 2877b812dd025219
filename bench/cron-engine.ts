/**
 * `npx tsx bench/cron-engine.ts [--hours=N] [--rounds=N] [--loop=ours|cronParser|planDueRuns]`: how long the watcher's planning loop spends
 * finding next runs, with our wall-clock matcher and with cron-parser's plugged into the same zone
 * layer (docs/decisions/cron-engine.md). About 1,000 cron jobs (16 expressions × 5 zones), a watcher
 * tick every 60 s with a 120 s look-ahead, over a window that holds New York's spring-forward change.
 *
 * Three loops over the same jobs and ticks, alternated round by round, medians printed as JSON:
 * - `planDueRuns`: the watcher's real planning call (lambdas/core/misfire.ts) on our engine;
 * - `ours`: the same stepping (next run after next run up to the look-ahead) straight on runs.ts;
 * - `cronParser`: that stepping with cron-parser 5 finding wall-clock matches (evaluated in UTC,
 *   where it has no DST to get wrong), our zone layer around it.
 * Each loop's runs are summed into a checksum: the two engines must find the same runs. With
 * `--loop`, only that loop is timed (after one warm-up pass of each, for the checksums), so a
 * process's JIT sees one matcher at the call sites the loops share.
 */
import { performance } from 'node:perf_hooks';
import { CronExpressionParser } from 'cron-parser';
import type { WallClockRule } from '../lambdas/core/cron/compiled.js';
import { compileClassic } from '../lambdas/core/cron/parse.js';
import { nextRunAnyTime } from '../lambdas/core/cron/runs.js';
import { wallClockRule } from '../lambdas/core/cron/wall-clock.js';
import { type ZoneOffsets, zoneOffsets } from '../lambdas/core/cron/zone.js';
import { planDueRuns, type ScheduledJob } from '../lambdas/core/misfire.js';
import { HOUR, MINUTE, ms, SECOND } from '../lambdas/core/time.js';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const HOURS = arg('hours', 2);
const ROUNDS = arg('rounds', 5);
const JOBS_PER_PAIR = 12;
const TICK_MS = MINUTE;
const LOOKAHEAD_MS = 2 * MINUTE;
const START = ms('2026-03-08T06:00:00.000Z'); // New York skips 02:00-03:00 at 07:00Z

const EXPRESSIONS = [
  '* * * * *',
  '*/5 * * * *',
  '*/15 * * * *',
  '5,35 * * * *',
  '0 * * * *',
  '0 */2 * * *',
  '30 2 * * *',
  '45 1 * * *',
  '0 0 * * *',
  '0 9-17 * * 1-5',
  '0 6 * * MON-FRI',
  '0 0 1 * *',
  '15 10 L * *',
  '0 12 * * 1#2',
  '*/10 * * * * *',
  '*/30 * * * * *',
];
const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kolkata'];

/** cron-parser as a wall-clock matcher: local times are evaluated as UTC, one parsed expression reused. */
function cronParserRule(expression: string, fixedLocalTime: boolean): WallClockRule {
  const parsed = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(0) });
  return {
    fixedLocalTime,
    nextMatch(from, until) {
      parsed.reset(new Date(Math.ceil(from / SECOND) * SECOND - 1));
      const match = parsed.next().getTime();
      return match < until ? match : null;
    },
    prevMatch(from, notBefore) {
      parsed.reset(new Date(Math.floor(from / SECOND) * SECOND + 1));
      const match = parsed.prev().getTime();
      return match >= notBefore ? match : null;
    },
  };
}

interface BenchJob {
  scheduled: ScheduledJob;
  zone: ZoneOffsets;
  ours: WallClockRule;
  cronParser: WallClockRule;
  nextRunAt: number | null;
}

function jobs(): BenchJob[] {
  const list: BenchJob[] = [];
  for (const expression of EXPRESSIONS) {
    const compiled = compileClassic(expression);
    for (const timezone of ZONES) {
      const zone = zoneOffsets(timezone);
      const ours = wallClockRule(compiled);
      const cronParser = cronParserRule(expression, compiled.fixedLocalTime);
      const first = nextRunAnyTime(ours, zone, START - 1);
      for (let i = 0; i < JOBS_PER_PAIR; i++) {
        const scheduled: ScheduledJob = {
          schedule: { type: 'cron', expression, timezone },
          nextRunAt: first ?? 0,
          misfire: 'run_once',
          misfireGraceSeconds: 60,
        };
        list.push({ scheduled, zone, ours, cronParser, nextRunAt: first });
      }
    }
  }
  return list;
}

type Loop = 'planDueRuns' | 'ours' | 'cronParser';

/** One watcher's ticks over the window; returns the elapsed ms, the runs found and their checksum. */
function watch(loop: Loop): { elapsedMs: number; runs: number; checksum: number } {
  const all = jobs();
  let runs = 0;
  let checksum = 0;
  const began = performance.now();
  for (let now = START; now < START + HOURS * HOUR; now += TICK_MS) {
    const horizon = now + LOOKAHEAD_MS;
    for (const job of all) {
      if (job.nextRunAt === null || job.nextRunAt > horizon) continue;
      if (loop === 'planDueRuns') {
        const plan = planDueRuns({ ...job.scheduled, nextRunAt: job.nextRunAt }, now, LOOKAHEAD_MS);
        for (const run of plan.runs) checksum = (checksum + (run.scheduledAt % 1_000_003)) % 1_000_000_007;
        runs += plan.runs.length;
        job.nextRunAt = plan.nextRunAt;
        continue;
      }
      const rule = loop === 'ours' ? job.ours : job.cronParser;
      let t: number | null = job.nextRunAt;
      while (t !== null && t <= horizon) {
        checksum = (checksum + (t % 1_000_003)) % 1_000_000_007;
        runs += 1;
        t = nextRunAnyTime(rule, job.zone, t);
      }
      job.nextRunAt = t;
    }
  }
  return { elapsedMs: performance.now() - began, runs, checksum };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const only = process.argv.find((a) => a.startsWith('--loop='))?.split('=')[1] as Loop | undefined;
const loops: Loop[] = only ? [only] : ['ours', 'cronParser', 'planDueRuns'];
const samples: Record<Loop, number[]> = { planDueRuns: [], ours: [], cronParser: [] };
const found: Partial<Record<Loop, { runs: number; checksum: number }>> = {};
for (const loop of ['ours', 'cronParser', 'planDueRuns'] as const) {
  const { runs, checksum } = watch(loop); // warms the zone tables, and gives every loop's checksum
  found[loop] = { runs, checksum };
}
for (let round = 0; round < ROUNDS; round++) {
  for (const loop of loops) samples[loop].push(watch(loop).elapsedMs);
}
const perRunUs = (loop: Loop) => (median(samples[loop]) * 1000) / (found[loop]?.runs ?? 1);
console.log(
  JSON.stringify({
    jobs: EXPRESSIONS.length * ZONES.length * JOBS_PER_PAIR,
    hours: HOURS,
    rounds: ROUNDS,
    runs: found.ours?.runs,
    sameRuns:
      found.ours?.checksum === found.cronParser?.checksum && found.ours?.runs === found.cronParser?.runs,
    planDueRunsMatches: found.ours?.checksum === found.planDueRuns?.checksum,
    medianMs: Object.fromEntries(loops.map((loop) => [loop, Math.round(median(samples[loop]))])),
    perRunMicroseconds: Object.fromEntries(loops.map((loop) => [loop, Number(perRunUs(loop).toFixed(2))])),
    ...(only
      ? {}
      : { cronParserOverOurs: Number((median(samples.cronParser) / median(samples.ours)).toFixed(2)) }),
  }),
);
