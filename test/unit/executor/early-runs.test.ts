import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CLAIM_AHEAD_MS } from '../../../lambdas/services/executor/early-runs.js';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { ExecutionService } from '../../../lambdas/services/jobs/execution-service.js';
import { JobService } from '../../../lambdas/services/jobs/job-service.js';
import { LocalRecentWrites } from '../../../local/recent-writes.js';
import { jobBody, type Scheduler, setup, until } from '../../support/scheduler.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const DUE = Date.parse('2026-05-01T12:00:04.000Z');

/**
 * The executor as the local runtime composes it: its job store tells the recent writes, and a run
 * handed over seconds ahead (as the local run queues do) waits for its time before its claim.
 */
function earlySetup() {
  const s = setup({ now: NOW });
  const writes = new LocalRecentWrites(() => s.clock.now());
  s.deps.jobs = writes.jobStore(s.deps.jobs);
  s.deps.recentWrites = writes;
  const places = { left: 0, rejoined: 0 };
  const executor = new ExecutorService(s.deps, 'exec-early', {
    leave: () => places.left++,
    rejoin: () => places.rejoined++,
  });
  return { s, executor, places, jobs: new JobService(s.deps), runs: new ExecutionService(s.deps) };
}

/** A one-time job due at DUE, 4 s from now; its run message, taken off the queue a moment later. */
async function dueInFourSeconds(s: Scheduler, jobs: JobService, overrides: Record<string, unknown> = {}) {
  const job = await jobs.createJob(
    't',
    jobBody({ schedule: { type: 'once', at: new Date(DUE).toISOString() }, ...overrides }),
  );
  const [run] = s.queue.take();
  s.clock.advance(10); // the executor reads the job a little after it was written
  return { job, message: run!.message };
}

describe('runs handed over ahead of their time (the local runtime)', () => {
  let e: ReturnType<typeof earlySetup>;
  beforeEach(() => {
    e = earlySetup();
  });
  const calls = () => e.s.http.requests.length;
  /** When the run's call started, as its record says (the fake clock moves on while the call is watched). */
  const startedAt = async (executionId: string) =>
    Date.parse((await e.s.executions.getExecution(executionId))?.startedAt ?? '');
  /** The fake clock's long sleeps last until they are woken: a run waits for its time until something wakes it. */
  const sleepsUntilWoken = () => {
    const sleep = e.s.clock.sleep.bind(e.s.clock);
    vi.spyOn(e.s.clock, 'sleep').mockImplementation((ms, signal) =>
      ms < 1000
        ? sleep(ms, signal)
        : new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve())),
    );
  };

  it('waits without a place until just before its time, then claims, and calls at its time, reading nothing more', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs);
    const claimedAt: number[] = [];
    const create = e.s.executions.createExecution.bind(e.s.executions);
    vi.spyOn(e.s.executions, 'createExecution').mockImplementation(async (x) => {
      claimedAt.push(e.s.clock.now());
      return create(x);
    });
    const jobReads = vi.spyOn(e.s.jobs, 'getJob');
    expect(await e.executor.handle(message)).toBe('succeeded');
    expect(claimedAt).toEqual([DUE - CLAIM_AHEAD_MS]);
    expect(calls()).toBe(1);
    expect(await startedAt(message.executionId)).toBe(DUE);
    expect(jobReads).toHaveBeenCalledTimes(1); // its own read when it came; nothing at its time
    expect(e.places).toEqual({ left: 1, rejoined: 1 });
  });

  it('leaves no trace of a run whose job was paused while it waited: no claim, no call', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    sleepsUntilWoken();
    const outcome = e.executor.handle(message);
    await until(() => e.places.left === 1);
    await e.jobs.pauseJob('t', job.jobId);
    expect(await outcome).toBe('dropped');
    expect(e.s.clock.now()).toBeLessThan(DUE); // woken by the pause, not at its time
    expect(calls()).toBe(0);
    expect(await e.s.executions.getExecution(message.executionId)).toBeNull();
  });

  it('does not call a run whose schedule was changed while it waited', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    sleepsUntilWoken();
    const outcome = e.executor.handle(message);
    await until(() => e.places.left === 1);
    await e.jobs.patchJob('t', job.jobId, { schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' } });
    expect(await outcome).toBe('dropped');
    expect(calls()).toBe(0);
    expect(await e.s.executions.getExecution(message.executionId)).toBeNull();
  });

  it('goes at its time with the job it read after a change that stops nothing (a rename), reading nothing more', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    await e.jobs.patchJob('t', job.jobId, { name: 'renamed' });
    const jobReads = vi.spyOn(e.s.jobs, 'getJob');
    expect(await e.executor.handle(message)).toBe('succeeded');
    expect(jobReads).toHaveBeenCalledTimes(1); // the run's own read when it came
  });

  it('reads its job again at its time after a change of its plan it did not see', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    const read = await e.s.jobs.getJob(job.jobId); // what the executor's read found
    await e.jobs.pauseJob('t', job.jobId);
    await e.jobs.resumeJob('t', job.jobId); // a new plan: the run of the old one must not go
    const jobReads = vi.spyOn(e.s.jobs, 'getJob');
    expect(await e.executor.handle(message, new Map([[job.jobId, read!]]))).toBe('dropped');
    expect(calls()).toBe(0);
    expect(jobReads).toHaveBeenCalled();
  });

  it('takes the slot of a job with a concurrency limit just before its time, not when it came', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs, { concurrency: { max: 1 } });
    const slotAt: number[] = [];
    const acquire = e.s.deps.slots.acquireSlot.bind(e.s.deps.slots);
    vi.spyOn(e.s.deps.slots, 'acquireSlot').mockImplementation(async (...args) => {
      slotAt.push(e.s.clock.now());
      return acquire(...args);
    });
    expect(await e.executor.handle(message)).toBe('succeeded');
    expect(slotAt).toEqual([DUE - CLAIM_AHEAD_MS]);
  });

  it('is not called when its cancel came while it waited', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs);
    const sleep = e.s.clock.sleep.bind(e.s.clock);
    vi.spyOn(e.s.clock, 'sleep').mockImplementation(async (ms, signal) => {
      if (ms >= 1000)
        expect((await e.runs.cancelExecution('t', message.executionId)).status).toBe('cancelled');
      return sleep(ms, signal);
    });
    expect(await e.executor.handle(message)).toBe('dropped');
    expect(calls()).toBe(0);
    expect((await e.s.executions.getExecution(message.executionId))?.status).toBe('cancelled');
  });

  it('hands a run still waiting for its time back at a shutdown: on the queue again, unclaimed, uncalled', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs);
    sleepsUntilWoken();
    const outcome = e.executor.handle(message);
    await until(() => e.places.left === 1);
    expect(e.executor.handBackWaiting()).toBe(1);
    expect(await outcome).toBe('requeued');
    expect(calls()).toBe(0);
    expect(await e.s.executions.getExecution(message.executionId)).toBeNull();
    const [again] = e.s.queue.take();
    expect(again?.message).toEqual(message);
    expect(again!.delaySeconds).toBe(3); // due in 3.99 s
  });
});

describe('runs that come early where no recent writes are known (AWS)', () => {
  it('are claimed when they come', async () => {
    const s = setup({ now: NOW });
    const { message } = await dueInFourSeconds(s, new JobService(s.deps));
    const claimedAt: number[] = [];
    const create = s.executions.createExecution.bind(s.executions);
    vi.spyOn(s.executions, 'createExecution').mockImplementation(async (x) => {
      claimedAt.push(s.clock.now());
      return create(x);
    });
    expect(await s.executor.handle(message)).toBe('succeeded');
    expect(claimedAt).toEqual([NOW + 10]);
  });
});
