import { beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseHeld } from '../../../lambdas/services/executor/claims.js';
import { heldCall, jobBody, onceRun, type Scheduler, setup } from '../../support/scheduler.js';

const NOW_200 = Date.parse('2026-05-01T12:00:00.200Z');

describe('run claims', () => {
  let s: Scheduler;
  beforeEach(() => {
    s = setup({ now: NOW_200 });
  });
  const onceJob = (overrides: Record<string, unknown> = {}) => onceRun(s, overrides);

  it('absorbs a duplicate delivery: the target is called once', async () => {
    const { run } = await onceJob();
    const [a, b] = await Promise.allSettled([
      s.executor.handle(run.message),
      s.otherExecutor.handle(run.message),
    ]);
    // The copy that came while the other held the lease is handed back to come again later.
    expect(a).toEqual({ status: 'fulfilled', value: 'succeeded' });
    expect(b.status === 'rejected' && b.reason).toBeInstanceOf(LeaseHeld);
    expect(await s.executor.handle(run.message)).toBe('dropped');
    expect(s.http.requests).toHaveLength(1);
  });

  it('takes over an execution whose lease expired and retries it', async () => {
    const { run } = await onceJob();
    // exec-a claims and "crashes": simulate by claiming through a call that never records.
    let release: () => void = () => {};
    s.http.answer = () =>
      new Promise(() => {
        release = () => {};
      });
    void s.executor.handle(run.message);
    await new Promise((r) => setImmediate(r));
    const running = await s.executions.getExecution(run.message.executionId);
    expect(running?.status).toBe('running');
    s.clock.current = running!.lease!.until + 1;
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.otherExecutor.handle(run.message)).toBe('dropped');
    const after = await s.executions.getExecution(run.message.executionId);
    expect(after?.status).toBe('queued');
    expect(after?.attempts[0]?.error).toMatch(/lease expired/);
    const [retry] = s.queue.take();
    expect(await s.otherExecutor.handle(retry!.message)).toBe('succeeded');
    release();
  });
});

describe('claims of one-off runs', () => {
  let s: Scheduler;
  beforeEach(() => {
    s = setup({ now: NOW_200 });
  });
  const triggered = async () => {
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'cron', expression: '0 0 1 1 *' } }),
    );
    const execution = await s.jobService.triggerJob('t', job.jobId);
    const run = s.queue.take().find((r) => r.message.executionId === execution.executionId);
    return { job, execution, run: run! };
  };

  it("claims a trigger's first attempt without reading its record: the claim's condition is the read", async () => {
    const { run } = await triggered();
    const reads = vi.spyOn(s.executions, 'getExecution');
    expect(await s.executor.handle(run.message)).toBe('succeeded');
    expect(reads).not.toHaveBeenCalled();
    expect(s.http.requests).toHaveLength(1);
    const done = await s.executions.getExecution(run.message.executionId);
    expect(done).toMatchObject({
      status: 'succeeded',
      trigger: 'manual',
      attempts: [{ status: 'succeeded' }],
    });
  });

  it('still finds a cancel requested before the claim, and calls nothing', async () => {
    const { run } = await triggered();
    await s.executionService.cancelExecution('t', run.message.executionId);
    expect(await s.executor.handle(run.message)).toBe('dropped');
    expect(s.http.requests).toHaveLength(0);
    expect((await s.executions.getExecution(run.message.executionId))?.status).toBe('cancelled');
  });

  it('hands a second delivery during the claimed call back, as for a scheduled run', async () => {
    const { run } = await triggered();
    const held = await heldCall(s, run.message);
    await expect(s.otherExecutor.handle(run.message)).rejects.toBeInstanceOf(LeaseHeld);
    held.answer();
    expect(await held.call).toBe('succeeded');
    expect(s.http.requests).toHaveLength(1);
  });
});
