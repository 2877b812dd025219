/**
 * Cron schedules evaluated in an IANA time zone, with the DST contract of docs/time-semantics.md.
 * This module is the public face of the engine in ./cron/:
 * - parse.ts (classic `m h dom mon dow`, optional seconds) and eventbridge.ts (`cron(...)` as
 *   EventBridge Scheduler reads it) compile an expression into lookup tables (compiled.ts);
 * - wall-clock.ts finds the next or previous matching local date-time;
 * - zone.ts knows each zone's offsets and transitions;
 * - runs.ts turns wall-clock matches into real instants across gaps and overlaps.
 * Why this is ours and not cron-parser's: docs/decisions/cron-engine.md.
 *
 * Pure: instants are epoch milliseconds passed in, offsets come from Intl (cached per zone and year).
 */

import { type CompiledCron, CronSyntaxError, type WallClockRule } from './cron/compiled.js';
import { compileEventBridge, isEventBridgeCron } from './cron/eventbridge.js';
import { compileClassic } from './cron/parse.js';
import { instantOfLocalTime, latestRun, nextRun, nextRunAnyTime } from './cron/runs.js';
import { canEverMatch, wallClockRule } from './cron/wall-clock.js';
import { zoneOffsets } from './cron/zone.js';
import { InvalidSchedule } from './errors.js';

export { CRON_LOOKAHEAD_MS, CRON_LOOKBACK_MS } from './cron/runs.js';
export { isValidTimezone } from './cron/zone.js';

function invalidExpression(expression: string, problem: string): InvalidSchedule {
  return new InvalidSchedule(`invalid cron expression "${expression}": ${problem}`, [
    { path: 'schedule.expression', message: problem },
  ]);
}

interface Compiled {
  cron: CompiledCron;
  rule: WallClockRule;
}

const compiledCache = new Map<string, Compiled>();
const COMPILED_CACHE_LIMIT = 1000;

function compiled(expression: string): Compiled {
  const cached = compiledCache.get(expression);
  if (cached !== undefined) return cached;
  let cron: CompiledCron;
  try {
    cron = isEventBridgeCron(expression) ? compileEventBridge(expression) : compileClassic(expression);
  } catch (error) {
    if (error instanceof CronSyntaxError) throw invalidExpression(expression, error.message);
    throw error;
  }
  if (compiledCache.size >= COMPILED_CACHE_LIMIT) compiledCache.clear();
  const entry = { cron, rule: wallClockRule(cron) };
  compiledCache.set(expression, entry);
  return entry;
}

function assertCanMatch(cron: CompiledCron): void {
  if (canEverMatch(cron)) return;
  const { dayOfMonth, month, year } = cron.rawFields;
  const inYear = year === undefined ? '' : ` of year "${year}"`;
  throw invalidExpression(
    cron.expression,
    `never matches: day-of-month "${dayOfMonth}" does not occur in month "${month}"${inYear}`,
  );
}

/**
 * Throws InvalidSchedule, with a message naming the field at fault, for a malformed expression,
 * one that can never match (`0 0 30 2 *`) or an unknown time zone.
 */
export function validateCron(expression: string, timezone: string): void {
  assertCanMatch(compiled(expression).cron);
  zoneOffsets(timezone);
}

/** The first run strictly after `afterMs`, or null if there is none within CRON_LOOKAHEAD_MS. */
export function nextCronRun(expression: string, timezone: string, afterMs: number): number | null {
  return nextRun(compiled(expression).rule, zoneOffsets(timezone), afterMs);
}

/** The first run strictly after `afterMs` however far away, or null if the expression never matches again. */
export function nextCronRunAnyTime(expression: string, timezone: string, afterMs: number): number | null {
  return nextRunAnyTime(compiled(expression).rule, zoneOffsets(timezone), afterMs);
}

/** The latest run at or before `atMs` (misfire `run_once`), or null if none within CRON_LOOKBACK_MS. */
export function latestCronRunAtOrBefore(expression: string, timezone: string, atMs: number): number | null {
  return latestRun(compiled(expression).rule, zoneOffsets(timezone), atMs);
}

/** Up to `limit` runs strictly after `afterMs` and at or before `untilMs`, ascending. */
export function cronRunsBetween(
  expression: string,
  timezone: string,
  afterMs: number,
  untilMs: number,
  limit: number,
): number[] {
  const cron = compiled(expression).rule;
  const zone = zoneOffsets(timezone);
  const runs: number[] = [];
  let run = nextRun(cron, zone, afterMs);
  while (run !== null && run <= untilMs && runs.length < limit) {
    runs.push(run);
    run = nextRun(cron, zone, run);
  }
  return runs;
}

/**
 * The instant a local date-time (encoded as UTC epoch ms) names in `timezone`, by the same DST rules
 * as a fixed-time cron run: a skipped time is the first instant after the gap, a repeated one its
 * first occurrence. Throws InvalidSchedule for an unknown time zone.
 */
export function instantOfLocal(local: number, timezone: string): number {
  return instantOfLocalTime(zoneOffsets(timezone), local);
}
