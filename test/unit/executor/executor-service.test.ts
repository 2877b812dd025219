import { beforeEach, describe, expect, it } from 'vitest';
import { jitterOffsetMs } from '../../../lambdas/core/jitter.js';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../../lambdas/services/jobs/job-service.js';
import { jobBody, onceRun, type Scheduler, setup, until } from '../../support/scheduler.js';
import { fakeDeps } from '../../support/services.js';

const at = (s: string) => Date.parse(s);
const NOW_200 = Date.parse('2026-05-01T12:00:00.200Z');

describe('ExecutorService', () => {
  let s: Scheduler;
  beforeEach(() => {
    s = setup({ now: NOW_200 });
  });
  const onceJob = (overrides: Record<string, unknown> = {}) => onceRun(s, overrides);

  it('claims, waits the residual, calls with the contract headers and records success', async () => {
    const { job, run } = await onceJob();
    expect(await s.executor.handle(run.message)).toBe('succeeded');
    const request = s.http.requests[0]!;
    expect(request.headers['idempotency-key']).toBe(run.message.executionId);
    expect(request.headers['x-scheduler-attempt']).toBe('1');
    expect(request.headers['x-scheduler-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(s.clock.now()).toBeGreaterThanOrEqual(Date.parse('2026-05-01T12:00:01.000Z'));
    const execution = await s.executions.getExecution(run.message.executionId);
    expect(execution).toMatchObject({ status: 'succeeded', lateByMs: 0 });
    expect(execution?.pending).toBeUndefined();
    expect(execution?.expiresAt).toBeGreaterThan(NOW_200 / 1000);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('aborts a running call when the execution is cancelled', async () => {
    const { run } = await onceJob();
    s.http.answer = (request) =>
      new Promise((resolve) => {
        request.signal?.addEventListener('abort', () =>
          resolve({
            kind: 'error',
            error: 'aborted: execution cancelled',
            timedOut: false,
            aborted: true,
            durationMs: 1,
          }),
        );
        void s.executionService.cancelExecution('t', run.message.executionId);
      });
    expect(await s.executor.handle(run.message)).toBe('cancelled');
    expect((await s.executions.getExecution(run.message.executionId))?.status).toBe('cancelled');
  });
});

describe('shutdown', () => {
  it('hands interrupted calls back as queued without spending their retry budget', async () => {
    const s = setup();
    const { run, job } = await onceRun(s, { retry: { maxAttempts: 1 } });
    s.http.answer = (request) =>
      new Promise((resolve) => {
        request.signal?.addEventListener('abort', () =>
          resolve({ kind: 'error', error: 'aborted', timedOut: false, aborted: true, durationMs: 1 }),
        );
      });
    const pending = s.executor.handle(run.message);
    await until(() => s.http.requests.length === 1);
    expect(s.executor.releaseAll()).toBe(1);
    expect(await pending).toBe('retrying');
    const handedBack = await s.executions.getExecution(run.message.executionId);
    expect(handedBack).toMatchObject({ status: 'queued', attemptBase: 1 });
    expect(handedBack?.attempts[0]?.error).toMatch(/shutting down/);
    // The next process finds it on the pending index and runs it (the budget of 1 attempt is intact).
    expect(await s.watcher.reapPending(job.shard, s.clock.now(), s.clock.now() + 1)).toBe(1);
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    const [resent] = s.queue.take();
    expect(await s.otherExecutor.handle(resent!.message)).toBe('succeeded');
  });
});

describe('jitter at the executor', () => {
  const NOW = at('2026-05-01T12:00:00.000Z');

  /** Delivers the job's run at `deliveredAt` on fresh stores; returns when the target was called. */
  async function calledAt(deliveredAt: number, jitterSeconds: number): Promise<{ id: string; at: number }> {
    const f = fakeDeps(NOW);
    const job = await new JobService(f.deps).createJob(
      't',
      jobBody({
        schedule: { type: 'once', at: '2026-05-01T12:01:00.000Z' },
        jitterSeconds,
      }),
    );
    const [run] = f.queue.take();
    f.clock.current = deliveredAt;
    expect(await new ExecutorService(f.deps, 'exec').handle(run!.message)).toBe('succeeded');
    expect(job.jitterSeconds).toBe(jitterSeconds);
    // The attempt's start: the instant the call went out (the fake clock moves on while it runs).
    const execution = await f.executions.getExecution(run!.message.executionId);
    const called = Date.parse(execution!.attempts[0]!.startedAt);
    return { id: run!.message.executionId, at: called };
  }

  it('starts a run at its time plus an offset fixed by the execution id, however early it is delivered', async () => {
    const due = at('2026-05-01T12:01:00.000Z');
    const first = await calledAt(due - 900, 30);
    const redelivered = await calledAt(due - 200, 30);
    expect(redelivered).toEqual(first);
    expect(first.at).toBe(due + jitterOffsetMs(first.id, 30));
    expect(first.at - due).toBeGreaterThanOrEqual(0);
    expect(first.at - due).toBeLessThan(30_000);
    expect((await calledAt(due - 900, 0)).at).toBe(due);
  });

  it('spreads different executions of identical schedules over the window', () => {
    const offsets = new Set(
      Array.from({ length: 50 }, (_, i) => jitterOffsetMs(`job_${i}:2026-05-01T12:01:00.000Z`, 30)),
    );
    expect(offsets.size).toBeGreaterThan(40);
    for (const offset of offsets) expect(offset).toBeLessThan(30_000);
  });
});
