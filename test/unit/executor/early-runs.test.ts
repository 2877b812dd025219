import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { ExecutionService } from '../../../lambdas/services/jobs/execution-service.js';
import { JobService } from '../../../lambdas/services/jobs/job-service.js';
import { LocalRecentWrites } from '../../../local/recent-writes.js';
import { jobBody, type Scheduler, setup, until } from '../../support/scheduler.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const DUE = Date.parse('2026-05-01T12:00:04.000Z');

/**
 * The executor as the local runtime composes it: its stores tell the recent writes, and a run
 * handed over seconds ahead (as the local run queues do) is claimed at once and checked at its time.
 */
function earlySetup() {
  const s = setup({ now: NOW });
  const writes = new LocalRecentWrites(() => s.clock.now());
  s.deps.jobs = writes.jobStore(s.deps.jobs);
  s.deps.executions = writes.executionStore(s.deps.executions);
  s.deps.recentWrites = writes;
  const places = { left: 0, rejoined: 0 };
  const executor = new ExecutorService(s.deps, 'exec-early', {
    leave: () => places.left++,
    rejoin: () => places.rejoined++,
  });
  return { s, executor, places, jobs: new JobService(s.deps), runs: new ExecutionService(s.deps) };
}

/** A one-time job due at DUE, 4 s from now; its run message, taken off the queue. */
async function dueInFourSeconds(s: Scheduler, jobs: JobService, overrides: Record<string, unknown> = {}) {
  const job = await jobs.createJob(
    't',
    jobBody({ schedule: { type: 'once', at: new Date(DUE).toISOString() }, ...overrides }),
  );
  const [run] = s.queue.take();
  s.clock.advance(10); // the executor reads the job a little after it was written
  return { job, message: run!.message };
}

/** Runs `then` right after the executor's claim is written (between the claim and the run's time). */
function afterTheClaim(s: Scheduler, then: () => Promise<unknown>) {
  const create = s.executions.createExecution.bind(s.executions);
  vi.spyOn(s.executions, 'createExecution').mockImplementation(async (execution) => {
    const created = await create(execution);
    await then();
    return created;
  });
}

/** The job and execution reads made when the target was called. */
function readsWhenCalled(s: Scheduler, jobReads: { mock: { calls: unknown[] } }) {
  const runReads = vi.spyOn(s.executions, 'getExecution');
  let seen = { job: -1, run: -1 };
  s.http.answer = () => {
    seen = { job: jobReads.mock.calls.length, run: runReads.mock.calls.length };
    return { kind: 'response', statusCode: 200, body: '', durationMs: 1 };
  };
  return () => seen;
}

describe('runs claimed ahead of their time (the local runtime)', () => {
  let e: ReturnType<typeof earlySetup>;
  beforeEach(() => {
    e = earlySetup();
  });
  const calls = () => e.s.http.requests.length;
  /** When the run's call started, as its record says (the fake clock moves on while the call is watched). */
  const startedAt = async (executionId: string) =>
    Date.parse((await e.s.executions.getExecution(executionId))?.startedAt ?? '');

  it('claims at once, leaves its place while it waits, and calls at its time with no further read', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs);
    const claimedAt: number[] = [];
    const create = e.s.executions.createExecution.bind(e.s.executions);
    vi.spyOn(e.s.executions, 'createExecution').mockImplementation(async (x) => {
      claimedAt.push(e.s.clock.now());
      return create(x);
    });
    const jobReads = vi.spyOn(e.s.jobs, 'getJob');
    const readsAtCall = readsWhenCalled(e.s, jobReads);
    expect(await e.executor.handle(message)).toBe('succeeded');
    expect(claimedAt).toEqual([NOW + 10]);
    expect(calls()).toBe(1);
    expect(await startedAt(message.executionId)).toBe(DUE);
    expect(readsAtCall()).toEqual({ job: 1, run: 0 }); // its admission, nothing at its time
    expect(e.places).toEqual({ left: 1, rejoined: 1 });
  });

  it('does not call a run whose job was paused after its claim, and takes the claim back', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    afterTheClaim(e.s, () => e.jobs.pauseJob('t', job.jobId));
    expect(await e.executor.handle(message)).toBe('dropped');
    expect(calls()).toBe(0);
    expect(await e.s.executions.getExecution(message.executionId)).toBeNull();
  });

  it('does not call a run whose schedule was changed after its claim', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    afterTheClaim(e.s, () =>
      e.jobs.patchJob('t', job.jobId, { schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' } }),
    );
    expect(await e.executor.handle(message)).toBe('dropped');
    expect(calls()).toBe(0);
    expect(await e.s.executions.getExecution(message.executionId)).toBeNull();
  });

  it('cancels, uncalled, a run whose cancel was asked after its claim', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs);
    afterTheClaim(e.s, () => e.runs.cancelExecution('t', message.executionId));
    expect(await e.executor.handle(message)).toBe('cancelled');
    expect(calls()).toBe(0);
    expect((await e.s.executions.getExecution(message.executionId))?.status).toBe('cancelled');
  });

  it('calls a run whose job only changed its name after its claim, with no read: its plan is the same', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    afterTheClaim(e.s, () => e.jobs.patchJob('t', job.jobId, { name: 'renamed' }));
    const readsAtCall = readsWhenCalled(e.s, vi.spyOn(e.s.jobs, 'getJob'));
    expect(await e.executor.handle(message)).toBe('succeeded');
    expect(await startedAt(message.executionId)).toBe(DUE);
    expect(readsAtCall().run).toBe(0);
  });

  it('takes the slot of a job with a concurrency limit no sooner than a second before its time', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs, { concurrency: { max: 1 } });
    const slotAt: number[] = [];
    const acquire = e.s.deps.slots.acquireSlot.bind(e.s.deps.slots);
    vi.spyOn(e.s.deps.slots, 'acquireSlot').mockImplementation(async (...args) => {
      slotAt.push(e.s.clock.now());
      return acquire(...args);
    });
    expect(await e.executor.handle(message)).toBe('succeeded');
    expect(slotAt[0]).toBeGreaterThanOrEqual(DUE - 1000);
    expect(await startedAt(message.executionId)).toBe(DUE);
  });

  /** The fake clock's long sleeps last until they are woken: a run waits for its time until something wakes it. */
  const sleepsUntilWoken = () => {
    const sleep = e.s.clock.sleep.bind(e.s.clock);
    vi.spyOn(e.s.clock, 'sleep').mockImplementation((ms, signal) =>
      ms < 1000
        ? sleep(ms, signal)
        : new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve())),
    );
  };

  it('stops a waiting run as soon as its job is paused, not at its time, and takes the claim back', async () => {
    const { job, message } = await dueInFourSeconds(e.s, e.jobs);
    sleepsUntilWoken();
    const outcome = e.executor.handle(message);
    await until(() => e.places.left === 1);
    expect((await e.s.executions.getExecution(message.executionId))?.status).toBe('running');
    await e.jobs.pauseJob('t', job.jobId);
    expect(await outcome).toBe('dropped');
    expect(e.s.clock.now()).toBeLessThan(DUE);
    expect(calls()).toBe(0);
    expect(await e.s.executions.getExecution(message.executionId)).toBeNull();
  });

  it('settles a waiting run as cancelled as soon as its cancel is asked', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs);
    sleepsUntilWoken();
    const outcome = e.executor.handle(message);
    await until(() => e.places.left === 1);
    await e.runs.cancelExecution('t', message.executionId);
    expect(await outcome).toBe('cancelled');
    expect(e.s.clock.now()).toBeLessThan(DUE);
    expect(calls()).toBe(0);
  });

  it('hands a run still waiting for its time back at a shutdown: unclaimed, on the queue again, uncalled', async () => {
    const { message } = await dueInFourSeconds(e.s, e.jobs);
    sleepsUntilWoken();
    const outcome = e.executor.handle(message);
    await until(() => e.s.executions.items.has(message.executionId));
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
  it('go at their time as claimed, reading nothing more', async () => {
    const s = setup({ now: NOW });
    const jobs = new JobService(s.deps);
    const { job, message } = await dueInFourSeconds(s, jobs);
    afterTheClaim(s, () => jobs.pauseJob('t', job.jobId));
    const runReads = vi.spyOn(s.executions, 'getExecution');
    expect(await s.executor.handle(message)).toBe('succeeded');
    expect(runReads).not.toHaveBeenCalled();
  });
});
