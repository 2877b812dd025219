import { beforeEach, describe, expect, it } from 'vitest';
import { LeaseHeld } from '../../../lambdas/services/executor/claims.js';
import { onceRun, type Scheduler, setup } from '../../support/scheduler.js';

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
