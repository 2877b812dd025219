import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import type { MisfirePolicy } from '../../schemas/job.js';
import { apiClient, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type Sink, startSink, waitFor } from '../support/sink.js';

/**
 * Downtime, end to end: three jobs on the same 2-second cron, one per misfire policy, run on the
 * local runtime; the runtime is stopped for several run times and started again on the same data
 * directory. What each policy did with the runs that fell in the gap is counted twice: at the
 * sink (calls) and in the API (executions, `skipped` ones included).
 */
const PERIOD_MS = 2000;
const GRACE_SECONDS = 2;
const POLICIES: MisfirePolicy[] = ['skip', 'run_once', 'catch_up'];
/** Real time the runtime stays down: at least three run times fall into it whatever the phase. */
const DOWNTIME_MS = 8000;
/** After the restart, runs this far past it must have run on time. */
const OBSERVE_AFTER_RESTART_MS = 4000;
// A 5 s look-ahead leaves the next two or three runs waiting on the queue, which lives in memory and
// is lost at the stop: restart recovery sends those again, and the restart's first watcher tick
// plans the later ones; both paths meet the misfire policy. Grace 2 s: a run later than that is missed.
const RUNTIME = { lookaheadSeconds: 5, watchIntervalMs: 500 };

interface ExecutionView {
  executionId: string;
  scheduledAt: string;
  status: string;
  trigger: string;
  reason?: string;
  lateByMs?: number;
}

describe('misfire after downtime, end to end', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime | undefined;
  let sink: Sink;
  const measured: Record<string, unknown> = {};

  beforeAll(async () => {
    sink = await startSink();
  });

  afterAll(async () => {
    await runtime?.stop();
    await sink?.close();
    data.remove();
    process.stdout.write(`misfire after downtime (measured): ${JSON.stringify(measured)}\n`);
  });

  it('skips, runs once, or catches up the runs missed while the runtime was down', async () => {
    // Phase 1: the jobs run on time.
    const startedFirst = Date.now();
    runtime = await startTestRuntime(data.dir, RUNTIME);
    measured.firstStartMs = Date.now() - startedFirst;
    let api = apiClient(runtime.url);
    const ids = new Map<MisfirePolicy, string>();
    for (const misfire of POLICIES) {
      const created = await api('POST', '/v1/jobs', {
        name: `misfire-${misfire}`,
        schedule: { type: 'cron', expression: '*/2 * * * * *', timezone: 'UTC' },
        target: { url: `${sink.url}/${misfire}`, method: 'POST' },
        misfire,
        misfireGraceSeconds: GRACE_SECONDS,
      });
      expect(created.status).toBe(201);
      ids.set(misfire, created.body.id);
    }
    const callsTo = (misfire: MisfirePolicy) => sink.calls.filter((c) => c.path === `/${misfire}`);
    await waitFor(
      () => POLICIES.every((p) => callsTo(p).length >= 2),
      20_000,
      'two on-time runs of every job',
    );

    // Phase 2: down past several run times. The queue lives in memory, so what was on it is lost too.
    await runtime.stop();
    runtime = undefined;
    const stoppedAt = Date.now();
    const callsBeforeRestart = sink.calls.length;
    await new Promise((resolve) => setTimeout(resolve, DOWNTIME_MS));

    // Phase 3: start again on the same data directory.
    const restartAt = Date.now();
    runtime = await startTestRuntime(data.dir, RUNTIME);
    // Its first watcher tick starts about now: no run due after this (plus a period) can be missed.
    const readyAt = Date.now();
    measured.restartMs = readyAt - restartAt;
    measured.recovery = runtime.recovery;
    measured.downtimeMs = restartAt - stoppedAt;
    measured.stoppedAt = new Date(stoppedAt).toISOString().slice(11, 23);
    measured.restartAt = new Date(restartAt).toISOString().slice(11, 23);
    api = apiClient(runtime.url);
    expect(sink.calls.slice(0, callsBeforeRestart).every((c) => c.at < restartAt)).toBe(true);
    const horizon = readyAt + OBSERVE_AFTER_RESTART_MS;

    const history = async (jobId: string): Promise<ExecutionView[]> => {
      const items: ExecutionView[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/v1/jobs/${jobId}/executions?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await api('GET', query);
        expect(page.status).toBe(200);
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return items.sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt));
    };
    const FINAL = new Set(['succeeded', 'skipped']);
    // Every run time up to the horizon has its final record (waiting 2 s past it, for the call to finish).
    await waitFor(
      async () => {
        if (Date.now() < horizon + PERIOD_MS) return false;
        for (const misfire of POLICIES) {
          const items = await history(ids.get(misfire)!);
          const through = items.filter((e) => Date.parse(e.scheduledAt) <= horizon);
          if (through.some((e) => !FINAL.has(e.status))) return false;
          const last = through.at(-1);
          if (!last || Date.parse(last.scheduledAt) <= horizon - PERIOD_MS) return false;
        }
        return true;
      },
      OBSERVE_AFTER_RESTART_MS + 15_000,
      'every run up to the horizon to finish',
    );

    for (const misfire of POLICIES) {
      const jobId = ids.get(misfire)!;
      const executions = (await history(jobId)).filter((e) => Date.parse(e.scheduledAt) <= horizon);
      const calls = callsTo(misfire);
      const callOf = (e: ExecutionView) =>
        calls.find((c) => c.headers['x-scheduler-execution-id'] === e.executionId);

      // One record per run time, none lost: consecutive instants 2 s apart up to the horizon, all final.
      const instants = executions.map((e) => Date.parse(e.scheduledAt));
      expect(executions.every((e) => e.trigger === 'schedule' && FINAL.has(e.status))).toBe(true);
      for (let i = 1; i < instants.length; i++) expect(instants[i]! - instants[i - 1]!).toBe(PERIOD_MS);
      expect(instants.at(-1)).toBeGreaterThan(horizon - PERIOD_MS);
      // No duplicate call, and a call for exactly the succeeded executions.
      const callIds = calls.map((c) => String(c.headers['x-scheduler-execution-id']));
      expect(new Set(callIds).size).toBe(callIds.length);
      const calledUpToHorizon = calls
        .filter((c) => Date.parse(String(c.headers['x-scheduler-scheduled-at'])) <= horizon)
        .map((c) => String(c.headers['x-scheduler-execution-id']));
      const succeeded = executions.filter((e) => e.status === 'succeeded');
      expect(calledUpToHorizon.sort()).toEqual(succeeded.map((e) => e.executionId).sort());

      // The run times that fell in the gap: after the stop, and more than the grace before the
      // restart (its first tick is later still, so these are missed whatever its exact time).
      const inGap = executions.filter((e) => {
        const t = Date.parse(e.scheduledAt);
        return t > stoppedAt && t <= restartAt - GRACE_SECONDS * 1000;
      });
      expect(inGap.length).toBeGreaterThanOrEqual(3);
      // Runs called more than the grace after their time: the missed runs the policy chose to run.
      const lateRuns = succeeded.filter(
        (e) => callOf(e)!.at - Date.parse(e.scheduledAt) > GRACE_SECONDS * 1000,
      );
      const skipped = executions.filter((e) => e.status === 'skipped');
      for (const e of skipped) {
        expect(Date.parse(e.scheduledAt)).toBeLessThan(readyAt + PERIOD_MS);
        expect(e.reason).toMatch(/missed/);
      }
      // Runs before the stop, then the missed ones (skipped, in one block), then runs again.
      const shape = executions.map((e) => (e.status === 'skipped' ? 'S' : 'R')).join('');
      expect(shape).toMatch(/^R+S*R+$/);
      // The API's status filter finds the same skipped executions.
      const filtered = await api('GET', `/v1/jobs/${jobId}/executions?status=skipped&limit=100`);
      expect(filtered.status).toBe(200);
      expect(filtered.body.items.map((e: ExecutionView) => e.executionId).sort()).toEqual(
        skipped.map((e) => e.executionId).sort(),
      );

      const afterBlock = shape.indexOf('S') === -1 ? null : executions[shape.lastIndexOf('S') + 1];
      measured[misfire] = {
        gapRunTimes: inGap.length,
        gapRunTimesCalled: inGap.filter((e) => e.status === 'succeeded').length,
        skippedExecutions: skipped.length,
        lateCalls: lateRuns.map((e) => ({
          scheduledAt: e.scheduledAt.slice(11, 19),
          lateByMs: callOf(e)!.at - Date.parse(e.scheduledAt),
        })),
        callsUpToHorizon: calledUpToHorizon.length,
      };

      if (misfire === 'skip') {
        // Every missed run is dropped and recorded; none is called late.
        expect(inGap.every((e) => e.status === 'skipped')).toBe(true);
        expect(skipped.length).toBeGreaterThanOrEqual(inGap.length);
        // The first run after the block is on time: due after the restart.
        expect(Date.parse(afterBlock!.scheduledAt)).toBeGreaterThanOrEqual(restartAt - GRACE_SECONDS * 1000);
      } else if (misfire === 'run_once') {
        // Of the gap, at most its latest run time is called; the first run after the skipped block
        // is the one missed run the policy ran: the most recent one, called late after the restart.
        expect(inGap.slice(0, -1).every((e) => e.status === 'skipped')).toBe(true);
        const late = skipped.length > 0 ? afterBlock! : inGap.at(-1)!;
        expect(late.status).toBe('succeeded');
        expect(Date.parse(late.scheduledAt)).toBeGreaterThanOrEqual(Date.parse(inGap.at(-1)!.scheduledAt));
        expect(Date.parse(late.scheduledAt)).toBeLessThan(readyAt + PERIOD_MS);
        expect(callOf(late)!.at - Date.parse(late.scheduledAt)).toBeGreaterThan(GRACE_SECONDS * 1000);
        expect(skipped.length).toBeGreaterThanOrEqual(inGap.length - 1);
      } else {
        // Every missed run is called after the restart; nothing is skipped.
        expect(skipped).toEqual([]);
        expect(inGap.every((e) => e.status === 'succeeded' && callOf(e)!.at >= restartAt)).toBe(true);
      }
    }
  }, 60_000);
});
