import { describe, expect, it } from 'vitest';
import { hashToken } from '../../../lambdas/core/execution/callback-token.js';
import { asyncAccepted, heldCall, onceRun, setup } from '../../support/scheduler.js';

describe('CallbackService: async targets', () => {
  it('keeps an execution running after 202 {"async":true}, extends its lease on heartbeat, completes it', async () => {
    const s = setup();
    const { run } = await onceRun(s, { timeoutSeconds: 60 });
    s.http.answer = asyncAccepted;
    expect(await s.executor.handle(run.message)).toBe('running');
    const token = s.http.requests[0]!.headers['x-scheduler-callback-token']!;
    const running = await s.executions.getExecution(run.message.executionId);
    expect(running).toMatchObject({
      status: 'running',
      awaitingCallback: true,
      callbackTokenHash: hashToken(token),
    });
    expect(running?.attempts).toMatchObject([
      { attempt: 1, status: 'running', statusCode: 202, finishedAt: null },
    ]);

    s.clock.advance(50_000);
    const beat = await s.callbacks.heartbeat(run.message.executionId, token);
    expect(beat).toEqual({ leaseUntil: new Date(s.clock.now() + 60_000 + 30_000).toISOString() });

    s.clock.advance(10_000);
    expect(await s.callbacks.complete(run.message.executionId, token, { status: 'succeeded' })).toEqual({
      status: 'succeeded',
    });
    const done = await s.executions.getExecution(run.message.executionId);
    expect(done).toMatchObject({ status: 'succeeded' });
    const attempt = done!.attempts[0]!;
    expect(attempt.status).toBe('succeeded');
    expect(attempt.durationMs).toBe(Date.parse(attempt.finishedAt!) - Date.parse(attempt.startedAt));
    expect(attempt.durationMs).toBeGreaterThanOrEqual(60_000);
    expect(done?.callbackTokenHash).toBeUndefined();
    await expect(
      s.callbacks.complete(run.message.executionId, token, { status: 'succeeded' }),
    ).rejects.toThrow(/token/);
  });

  it('refuses a wrong or missing token the same way as an unknown execution', async () => {
    const s = setup();
    const { run } = await onceRun(s);
    s.http.answer = asyncAccepted;
    await s.executor.handle(run.message);
    await expect(s.callbacks.heartbeat(run.message.executionId, 'guess')).rejects.toMatchObject({
      code: 'unauthorized',
    });
    await expect(s.callbacks.heartbeat(run.message.executionId, undefined)).rejects.toMatchObject({
      code: 'unauthorized',
    });
    await expect(s.callbacks.heartbeat('job_x:2026-01-01T00:00:00.000Z', 'guess')).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('answers a heartbeat on a cancelled execution with cancelled', async () => {
    const s = setup();
    const { run } = await onceRun(s);
    s.http.answer = asyncAccepted;
    await s.executor.handle(run.message);
    const token = s.http.requests[0]!.headers['x-scheduler-callback-token']!;
    const cancelled = await s.executionService.cancelExecution('t', run.message.executionId);
    expect(cancelled.status).toBe('cancelled');
    expect(await s.callbacks.heartbeat(run.message.executionId, token)).toEqual({ cancelled: true });
    expect(await s.callbacks.complete(run.message.executionId, token, { status: 'succeeded' })).toEqual({
      cancelled: true,
    });
  });

  it('refuses a late callback on a run that succeeded while its cancel was asked, keeping the outcome', async () => {
    const s = setup();
    const { run } = await onceRun(s);
    const { call, answer } = await heldCall(s, run.message);
    const token = s.http.requests[0]!.headers['x-scheduler-callback-token']!;
    const asked = await s.executionService.cancelExecution('t', run.message.executionId);
    expect(asked).toMatchObject({ status: 'running', cancelRequestedAt: expect.any(String) });
    answer();
    expect(await call).toBe('succeeded');
    // The state table (core/states.ts) has no way out of succeeded: the callback may not cancel it.
    await expect(
      s.callbacks.complete(run.message.executionId, token, { status: 'failed' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(s.callbacks.heartbeat(run.message.executionId, token)).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await s.executions.getExecution(run.message.executionId)).toMatchObject({ status: 'succeeded' });
  });

  it('retries a failed completion under the retry policy with a new token', async () => {
    const s = setup();
    const { run } = await onceRun(s, { retry: { maxAttempts: 2, jitter: 'none', initialDelaySeconds: 1 } });
    s.http.answer = asyncAccepted;
    await s.executor.handle(run.message);
    const token = s.http.requests[0]!.headers['x-scheduler-callback-token']!;
    expect(
      await s.callbacks.complete(run.message.executionId, token, { status: 'failed', error: 'disk full' }),
    ).toEqual({
      status: 'retrying',
    });
    const [retry] = s.queue.take();
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.executor.handle(retry!.message)).toBe('succeeded');
    expect(s.http.requests[1]!.headers['x-scheduler-callback-token']).not.toBe(token);
    const done = await s.executions.getExecution(run.message.executionId);
    expect(done?.attempts.map((a) => [a.status, a.error])).toEqual([
      ['failed', 'disk full'],
      ['succeeded', null],
    ]);
  });

  it('retries an async target that went silent once its lease expires', async () => {
    const s = setup();
    const { job, run } = await onceRun(s, { timeoutSeconds: 5 });
    s.http.answer = asyncAccepted;
    await s.executor.handle(run.message);
    s.clock.advance(5_000 + 30_000 + 1);
    expect(await s.watcher.reapPending(job.shard, s.clock.now())).toBe(1);
    const [resent] = s.queue.take();
    expect(await s.otherExecutor.handle(resent!.message)).toBe('dropped'); // records the lost attempt, schedules the retry
    const after = await s.executions.getExecution(run.message.executionId);
    expect(after?.status).toBe('queued');
    expect(after?.attempts).toMatchObject([
      { status: 'failed', statusCode: 202, error: expect.stringMatching(/lease expired/) },
    ]);
  });
});
