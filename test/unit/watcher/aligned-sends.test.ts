import { describe, expect, it } from 'vitest';
import { SEND_LEAD_MS, untilSendWindow, worthAligning } from '../../../lambdas/core/execution/send-window.js';
import type { OutgoingRun } from '../../../lambdas/core/ports/run-queue.js';
import { MAX_HELD_GROUPS } from '../../../lambdas/services/watcher/aligned-sends.js';
import { jobBody, type Scheduler, setup } from '../../support/scheduler.js';

const CREATED = Date.parse('2026-05-01T12:00:00.200Z');
/** A minute rate from 12:10, beyond the create's look-ahead: the watcher plans its runs. */
const fromTen = { type: 'rate', everySeconds: 60, startAt: '2026-05-01T12:10:00.000Z' } as const;

/** Every send with the clock when it happened. */
function recordSends(s: Scheduler): { at: number; runs: OutgoingRun[] }[] {
  const sends: { at: number; runs: OutgoingRun[] }[] = [];
  const send = s.queue.send.bind(s.queue);
  s.queue.send = async (runs) => {
    sends.push({ at: s.clock.now(), runs: structuredClone(runs) });
    await send(runs);
  };
  return sends;
}

/** How long before its `scheduledAt` a run sent at `at` becomes visible (negative: late). */
const residual = (at: number, run: OutgoingRun) =>
  Date.parse(run.message.scheduledAt) - (at + run.delaySeconds * 1000);

async function jobsFromTen(n: number): Promise<Scheduler & { ids: string[] }> {
  const s = setup({ now: CREATED });
  s.deps.settings.shards = 1;
  s.deps.settings.queueAheadSeconds = 900;
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await s.jobService.createJob('t', jobBody({ schedule: fromTen }))).jobId);
  s.queue.take();
  return { ...s, ids };
}

async function nextRuns(s: Scheduler & { ids: string[] }): Promise<(string | undefined)[]> {
  return Promise.all(s.ids.map(async (id) => (await s.jobs.getJob(id))?.nextRunAt));
}

describe('the send window', () => {
  it('opens in the last lead ms of each second', () => {
    expect(SEND_LEAD_MS).toBe(200);
    expect(untilSendWindow(Date.parse('2026-05-01T12:00:00.200Z'))).toBe(600);
    expect(untilSendWindow(Date.parse('2026-05-01T12:00:00.800Z'))).toBe(0);
    expect(untilSendWindow(Date.parse('2026-05-01T12:00:00.999Z'))).toBe(0);
    expect(untilSendWindow(Date.parse('2026-05-01T12:00:01.000Z'))).toBe(800);
    expect(untilSendWindow(Date.parse('2026-05-01T12:00:00.500Z'), 600)).toBe(0);
  });

  it('is worth waiting for only by runs still not due when it opens', () => {
    const now = Date.parse('2026-05-01T12:00:00.200Z');
    expect(worthAligning(Date.parse('2026-05-01T12:00:01.000Z'), now)).toBe(true);
    expect(worthAligning(Date.parse('2026-05-01T12:00:00.000Z'), now)).toBe(false);
    expect(worthAligning(Date.parse('2026-05-01T12:00:00.800Z'), now)).toBe(false);
  });
});

describe('aligned sends: the watcher sends runs not yet due just before a second boundary', () => {
  it('sends in the window, so each run is visible at most the lead before it is due, never after', async () => {
    const s = await jobsFromTen(3);
    const sends = recordSends(s);
    const tick = Date.parse('2026-05-01T12:08:30.200Z');
    s.clock.current = tick;
    const report = await s.watcher.watchShard(0);
    expect(report.runsEnqueued).toBe(3 * 14); // 12:10 … 12:23 each
    expect(sends).toHaveLength(1);
    const [send] = sends;
    expect(send!.at).toBe(Date.parse('2026-05-01T12:08:30.800Z'));
    for (const run of send!.runs) {
      expect(residual(send!.at, run)).toBeGreaterThanOrEqual(0);
      expect(residual(send!.at, run)).toBeLessThanOrEqual(SEND_LEAD_MS);
    }
    // what the tick gave up: under a second
    expect(report.durationMs).toBeLessThan(1000);
  });

  it('computes DelaySeconds when it sends, not when it planned: an overslept wait never makes a run late', async () => {
    const s = await jobsFromTen(1);
    const sends = recordSends(s);
    // A timer that fires 500 ms late lands the send in the next second, outside the window.
    const sleep = s.clock.sleep.bind(s.clock);
    s.clock.sleep = (ms, signal) => sleep(ms + 500, signal);
    s.clock.current = Date.parse('2026-05-01T12:08:30.200Z');
    await s.watcher.watchShard(0);
    const [send] = sends;
    expect(send!.at).toBe(Date.parse('2026-05-01T12:08:31.300Z'));
    const first = send!.runs.find((r) => r.message.scheduledAt === '2026-05-01T12:10:00.000Z')!;
    // planned at :30.200 it would have been 89 s, visible at 12:10:00.300
    expect(first.delaySeconds).toBe(88);
    for (const run of send!.runs) expect(residual(send!.at, run)).toBeGreaterThanOrEqual(0);
  });

  it('sends at once the runs that are due before the window opens', async () => {
    const s = await jobsFromTen(1);
    const sends = recordSends(s);
    // Restarted a little after 12:10: the 12:10 run is due already.
    s.clock.current = Date.parse('2026-05-01T12:10:00.300Z');
    await s.watcher.watchShard(0);
    expect(sends.map((x) => x.at)).toEqual([Date.parse('2026-05-01T12:10:00.300Z')]);
    expect(sends[0]!.runs[0]).toMatchObject({ delaySeconds: 0 });
    expect(sends[0]!.runs[0]!.message.scheduledAt).toBe('2026-05-01T12:10:00.000Z');
  });

  it('waits once per tick: every held group goes in the same window, each in its own send', async () => {
    const s = await jobsFromTen(120); // three groups of at most 50 jobs
    const sends = recordSends(s);
    s.clock.current = Date.parse('2026-05-01T12:08:30.200Z');
    const report = await s.watcher.watchShard(0);
    expect(report.dueJobs).toBe(120);
    expect(sends).toHaveLength(3);
    expect(new Set(sends.map((x) => x.at))).toEqual(new Set([Date.parse('2026-05-01T12:08:30.800Z')]));
    expect(report.durationMs).toBeLessThan(1000);
    // and every job moved on past what was sent
    expect(new Set(await nextRuns(s))).toEqual(new Set(['2026-05-01T12:24:00.000Z']));
  });

  it('does not hold a group until the end of a slow tick when its first run comes within two seconds', async () => {
    const s = await jobsFromTen(60);
    const sends = recordSends(s);
    // The due index answers in two pages, the second three seconds after the first.
    const dueJobs = s.deps.dueIndex.dueJobs.bind(s.deps.dueIndex);
    s.deps.dueIndex.dueJobs = async function* (shard, fromHour, upTo) {
      for await (const page of dueJobs(shard, fromHour, upTo)) {
        if (page.jobs.length <= 50) {
          yield page;
          continue;
        }
        yield { ...page, jobs: page.jobs.slice(0, 50) };
        s.clock.advance(3000);
        yield { ...page, jobs: page.jobs.slice(50) };
      }
    };
    s.clock.current = Date.parse('2026-05-01T12:09:58.300Z');
    await s.watcher.watchShard(0);
    // the first group went in the window before 12:10, not after the second page
    expect(sends.map((x) => [x.at, x.runs.length])).toEqual([
      [Date.parse('2026-05-01T12:09:58.800Z'), 50 * 15],
      [Date.parse('2026-05-01T12:10:01.800Z'), 10 * 16],
    ]);
    for (const run of sends[0]!.runs) expect(residual(sends[0]!.at, run)).toBeGreaterThanOrEqual(0);
  });

  it('releases the held groups when twenty are held, so a long backlog is not all kept back', async () => {
    const s = await jobsFromTen(MAX_HELD_GROUPS * 50 + 10);
    const sends = recordSends(s);
    // each advance takes a millisecond: the twenty groups' thousand advances take a second
    s.jobs.beforeWrite = (op) => {
      if (op === 'advanceJob') s.clock.advance(1);
    };
    s.clock.current = Date.parse('2026-05-01T12:08:30.200Z');
    const report = await s.watcher.watchShard(0);
    expect(report.dueJobs).toBe(MAX_HELD_GROUPS * 50 + 10);
    // twenty groups in the first window, sent and advanced before the last group is planned
    expect(sends.map((x) => x.at)).toEqual([
      ...Array.from({ length: MAX_HELD_GROUPS }, () => Date.parse('2026-05-01T12:08:30.800Z')),
      Date.parse('2026-05-01T12:08:31.800Z'),
    ]);
  });

  it('a failed send of one held group leaves only that group’s jobs for the next tick', async () => {
    const s = await jobsFromTen(60); // groups of 50 and 10
    s.queue.failNext = 1;
    s.clock.current = Date.parse('2026-05-01T12:08:30.200Z');
    const report = await s.watcher.watchShard(0);
    expect(report.dueJobs).toBe(60);
    expect(report.runsEnqueued).toBe(10 * 14);
    const next = await nextRuns(s);
    expect(next.filter((n) => n === '2026-05-01T12:10:00.000Z')).toHaveLength(50);
    expect(next.filter((n) => n === '2026-05-01T12:24:00.000Z')).toHaveLength(10);
  });
});
