import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryExecutionWindowCounter } from '../../../lambdas/adapters/memory-execution-window-counter.js';
import { EMPTY_ALLOWLIST } from '../../../lambdas/core/ssrf.js';
import { withExecutionListeners } from '../../../lambdas/services/execution-listeners.js';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../../lambdas/services/jobs/job-service.js';
import { ExecutionGate } from '../../../lambdas/services/tenant-policy.js';
import { jobBody, onceRun, patchOf, type Scheduler, setup } from '../../support/scheduler.js';
import { fakeDeps } from '../../support/services.js';

const at = (s: string) => Date.parse(s);
const NOW = Date.parse('2026-05-01T12:00:00.000Z');
type Setup = Scheduler;
const NOW_200 = Date.parse('2026-05-01T12:00:00.200Z');
describe('run admission', () => {
  let s: Scheduler;
  beforeEach(() => {
    s = setup({ now: NOW_200 });
  });
  const onceJob = (overrides: Record<string, unknown> = {}) => onceRun(s, overrides);

  it('skips a run picked up after its grace period (run_once: a later run is also late)', async () => {
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'rate', everySeconds: 10 }, misfireGraceSeconds: 5 }),
    );
    const [first, second] = s.queue.take();
    s.clock.advance(60_000);
    expect(await s.executor.handle(first!.message)).toBe('skipped');
    expect((await s.executions.getExecution(first!.message.executionId))?.reason).toMatch(/missed/);
    expect(s.http.requests).toHaveLength(0);
    expect(job.jobId).toBeTruthy();
    expect(second).toBeDefined();
  });

  it('drops runs of a cancelled job without calling it', async () => {
    const { job, run } = await onceJob();
    await s.jobService.cancelJob('t', job.jobId);
    expect(await s.executor.handle(run.message)).toBe('dropped');
    expect(s.http.requests).toHaveLength(0);
  });
});

describe('run admission: the tenant\u2019s executions per minute', () => {
  it('caps executions per tenant and minute: the excess waits for a later minute, other tenants run', async () => {
    const f = fakeDeps(NOW);
    f.deps.policy = {
      allowlist: EMPTY_ALLOWLIST,
      executions: new ExecutionGate(new MemoryExecutionWindowCounter(), 3, () => 0.5),
    };
    const jobs = new JobService(f.deps);
    const executor = new ExecutorService(f.deps, 'exec-1');
    const immediate = jobBody({ schedule: { type: 'immediate' } });
    for (let i = 0; i < 5; i++) await jobs.createJob('noisy', immediate);
    await jobs.createJob('quiet', immediate);

    const first = f.queue.take();
    const outcomes = [];
    for (const run of first) outcomes.push([run.message.tenant, await executor.handle(run.message)]);
    expect(outcomes).toEqual([
      ['noisy', 'succeeded'],
      ['noisy', 'succeeded'],
      ['noisy', 'succeeded'],
      ['noisy', 'requeued'],
      ['noisy', 'requeued'],
      ['quiet', 'succeeded'],
    ]);
    const held = f.queue.take();
    expect(held.map((r) => r.message.lateAccepted)).toEqual([true, true]);
    for (const { delaySeconds } of held) {
      // To the next minute (12:01:00, each call moved the clock a little), plus half a minute of spread.
      const at = f.clock.now() + delaySeconds * 1000;
      expect(at).toBeGreaterThanOrEqual(NOW + 60_000 + 30_000);
      expect(at).toBeLessThan(NOW + 60_000 + 30_000 + 10_000);
    }

    f.clock.advance(90_000); // later than the job's 60 s misfire grace: still run, not skipped
    for (const run of held) expect(await executor.handle(run.message)).toBe('succeeded');
    expect(f.http.requests).toHaveLength(6);
  });
});

describe('run admission: runs of a superseded plan', () => {
  /** Delivers each message at its scheduled time, in order; returns `<scheduledAt> <outcome>` for each. */
  async function deliver(s: Setup, runs: ReturnType<Setup['queue']['take']>) {
    const outcomes: string[] = [];
    for (const { message } of runs) {
      s.clock.current = Math.max(s.clock.current, at(message.scheduledAt));
      outcomes.push(`${message.scheduledAt} ${await s.executor.handle(message)}`);
    }
    return outcomes;
  }
  const outcomesOnly = (lines: string[]) => lines.map((line) => line.split(' ')[1]);

  it('drops, and records nothing for, runs queued before a schedule change', async () => {
    const s = setup();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 60 } }));
    const old = s.queue.take(); // 12:01 and 12:02, sent at create
    s.clock.current = at('2026-05-01T12:00:30.000Z');
    await s.jobService.patchJob(
      't',
      job.jobId,
      patchOf({ schedule: { type: 'cron', expression: '0 15 * * *', timezone: 'UTC' } }),
    );
    expect(await deliver(s, old)).toEqual([
      '2026-05-01T12:01:00.000Z dropped',
      '2026-05-01T12:02:00.000Z dropped',
    ]);
    expect(s.http.requests).toHaveLength(0);
    expect((await s.executions.listByJob(job.jobId, {}, 10)).items).toEqual([]);
  });

  it('drops the old instant of a once-job whose `at` moved, and runs the new one once', async () => {
    const s = setup();
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:08.000Z' } }),
    );
    const old = s.queue.take();
    await s.jobService.patchJob(
      't',
      job.jobId,
      patchOf({ schedule: { type: 'once', at: '2026-05-01T12:00:16.000Z' } }),
    );
    const moved = s.queue.take();
    expect(await deliver(s, [...old, ...moved])).toEqual([
      '2026-05-01T12:00:08.000Z dropped',
      '2026-05-01T12:00:16.000Z succeeded',
    ]);
    expect(s.http.requests).toHaveLength(1);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('drops runs of the old plan when only the timezone or the window changed, even at the same instants', async () => {
    const s = setup();
    const hourly = { type: 'cron', expression: '*/1 * * * *', timezone: 'UTC' };
    const job = await s.jobService.createJob('t', jobBody({ schedule: hourly }));
    const old = s.queue.take();
    // New York is a whole number of hours from UTC: the new plan has the very same instants.
    await s.jobService.patchJob(
      't',
      job.jobId,
      patchOf({ schedule: { ...hourly, timezone: 'America/New_York' } }),
    );
    const replanned = s.queue.take();
    expect(replanned.map((r) => r.message.scheduledAt)).toEqual(old.map((r) => r.message.scheduledAt));
    expect(outcomesOnly(await deliver(s, [...old, ...replanned]))).toEqual([
      ...old.map(() => 'dropped'),
      ...replanned.map(() => 'succeeded'),
    ]);
    expect(s.http.requests).toHaveLength(replanned.length);

    const windowed = await s.jobService.createJob('t', jobBody({ schedule: hourly }));
    const queued = s.queue.take();
    await s.jobService.patchJob(
      't',
      windowed.jobId,
      patchOf({ schedule: { ...hourly, endAt: '2026-05-01T12:30:00.000Z' } }),
    );
    s.queue.take();
    expect(outcomesOnly(await deliver(s, queued))).toEqual(queued.map(() => 'dropped'));
  });

  it('keeps runs queued before a change of anything but the schedule (a name, the target, the version)', async () => {
    const s = setup();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 60 } }));
    const queued = s.queue.take();
    await s.jobService.patchJob('t', job.jobId, patchOf({ name: 'renamed', timeoutSeconds: 7 }));
    await s.jobService.patchJob('t', job.jobId, patchOf({ target: { url: 'https://example.com/other' } }));
    expect((await s.jobs.getJob(job.jobId))?.version).toBe(3);
    expect(outcomesOnly(await deliver(s, queued))).toEqual(['succeeded', 'succeeded']);
    expect(s.http.requests.map((r) => r.url)).toEqual([
      'https://example.com/other',
      'https://example.com/other',
    ]);
  });

  it('drops runs queued before a pause even after the resume, which sends its own', async () => {
    const s = setup();
    const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 60 } }));
    const beforePause = s.queue.take();
    s.clock.current = at('2026-05-01T12:00:10.000Z');
    await s.jobService.pauseJob('t', job.jobId);
    s.clock.current = at('2026-05-01T12:00:20.000Z');
    await s.jobService.resumeJob('t', job.jobId);
    const afterResume = s.queue.take();
    expect(afterResume.map((r) => r.message.scheduledAt)).toEqual(
      beforePause.map((r) => r.message.scheduledAt),
    );
    expect(outcomesOnly(await deliver(s, [...beforePause, ...afterResume]))).toEqual([
      'dropped',
      'dropped',
      'succeeded',
      'succeeded',
    ]);
    expect(s.http.requests).toHaveLength(2);
  });

  it('lets manual triggers, retries, replays and dependency runs through a schedule change', async () => {
    const s = setup();
    withExecutionListeners(s.deps);
    s.http.answer = () => ({ kind: 'response', statusCode: 503, body: '', durationMs: 1 });
    const upstream = await s.jobService.createJob('t', jobBody({ schedule: { type: 'immediate' } }));
    const job = await s.jobService.createJob(
      't',
      jobBody({
        schedule: { type: 'rate', everySeconds: 60 },
        dependsOn: [upstream.jobId],
        retry: { maxAttempts: 2, initialDelaySeconds: 1, jitter: 'none' },
      }),
    );
    const manual = await s.jobService.triggerJob('t', job.jobId);
    const [up, first, second, triggered] = s.queue.take();
    expect(triggered!.message.trigger).toBe('manual');
    // The 12:01 run fails once: its retry is queued as attempt 2.
    s.clock.current = at(first!.message.scheduledAt);
    expect(await s.executor.handle(first!.message)).toBe('retrying');
    const [retry] = s.queue.take();
    expect(retry!.message.attempt).toBe(2);

    await s.jobService.patchJob('t', job.jobId, patchOf({ schedule: { type: 'rate', everySeconds: 3600 } }));
    s.queue.take();
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.executor.handle(second!.message)).toBe('dropped');
    expect(await s.executor.handle(triggered!.message)).toBe('succeeded');
    s.clock.current = at(retry!.message.scheduledAt) + 2000;
    expect(await s.executor.handle(retry!.message)).toBe('succeeded');
    expect((await s.executions.getExecution(manual.executionId))?.status).toBe('succeeded');

    // The upstream's success queues a dependency run of the job, which runs too.
    expect(await s.executor.handle(up!.message)).toBe('succeeded');
    const [dependency] = s.queue.take();
    expect(dependency!.message.trigger).toBe('dependency');
    expect(await s.executor.handle(dependency!.message)).toBe('succeeded');
  });

  it('lets a replayed dead letter run after a schedule change', async () => {
    const s = setup();
    s.http.answer = () => ({ kind: 'response', statusCode: 503, body: '', durationMs: 1 });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'rate', everySeconds: 60 }, retry: { maxAttempts: 1 } }),
    );
    const [first] = s.queue.take();
    s.clock.current = at(first!.message.scheduledAt);
    expect(await s.executor.handle(first!.message)).toBe('failed');
    const dead = {
      ...(await s.executions.getExecution(first!.message.executionId))!,
      status: 'dead' as const,
    };
    s.executions.items.set(dead.executionId, dead);
    await s.jobService.patchJob('t', job.jobId, patchOf({ schedule: { type: 'rate', everySeconds: 3600 } }));
    s.queue.take();
    await s.executionService.replayDeadLetter('t', dead.executionId);
    const [replay] = s.queue.take();
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.executor.handle(replay!.message)).toBe('succeeded');
  });
});
