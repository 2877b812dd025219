import { describe, expect, it } from 'vitest';
import { hashToken } from '../../lambdas/core/execution/callback-token.js';
import { jobBody, type Scheduler, setup } from '../support/scheduler.js';

const _NOW = Date.parse('2026-05-01T12:00:00.000Z');

async function onceRun(s: Scheduler, overrides: Record<string, unknown> = {}) {
  const job = await s.jobService.createJob(
    't',
    jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' }, ...overrides }),
  );
  const [run] = s.queue.take();
  return { job, run: run! };
}

/** Lets the executor run until `condition` holds (its fake clock sleeps yield to setImmediate). */
async function until(condition: () => boolean) {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition never held');
}

const asyncAccepted = () => ({
  kind: 'response' as const,
  statusCode: 202,
  body: '{"async":true}',
  durationMs: 2,
});

describe('ExecuteService async targets', () => {
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

describe('redirects', () => {
  it('fails the run for good on a 3xx, naming the Location it was sent to, without retrying', async () => {
    const s = setup();
    const { job, run } = await onceRun(s, { retry: { maxAttempts: 5 } });
    s.http.answer = () => ({
      kind: 'response',
      statusCode: 302,
      body: '',
      location: 'https://login.example.com/sso?next=%2Fhook',
      durationMs: 3,
    });
    s.clock.current = Date.parse(run.message.scheduledAt);
    expect(await s.executor.handle(run.message)).toBe('failed');
    const execution = await s.executions.getExecution(run.message.executionId);
    expect(execution?.status).toBe('failed');
    expect(execution?.attempts).toHaveLength(1);
    expect(execution?.attempts[0]).toMatchObject({
      status: 'failed',
      statusCode: 302,
      error:
        'HTTP 302: redirect to https://login.example.com/sso?next=%2Fhook, which is not followed (point the job at the final URL)',
    });
    expect(s.queue.sent).toEqual([]);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('failed');
  });

  it('says so when a redirect names no Location, and keeps a long Location short', async () => {
    const s = setup();
    const { run } = await onceRun(s);
    s.http.answer = () => ({ kind: 'response', statusCode: 307, body: '', durationMs: 3 });
    s.clock.current = Date.parse(run.message.scheduledAt);
    expect(await s.executor.handle(run.message)).toBe('failed');
    const attempt = (await s.executions.getExecution(run.message.executionId))?.attempts[0];
    expect(attempt?.error).toBe('HTTP 307: redirect without a Location, which is not followed');

    const other = await onceRun(s, { name: 'long' });
    const location = `https://example.com/${'x'.repeat(3000)}`;
    s.http.answer = () => ({ kind: 'response', statusCode: 301, body: '', location, durationMs: 3 });
    expect(await s.executor.handle(other.run.message)).toBe('failed');
    const error = (await s.executions.getExecution(other.run.message.executionId))?.attempts[0]?.error ?? '';
    expect(error.length).toBeLessThan(400);
    expect(error).toContain('https://example.com/xxx');
  });
});

describe('dead letters', () => {
  it('lists dead executions and replays one with a fresh retry budget', async () => {
    const s = setup();
    const { job, run } = await onceRun(s, { retry: { maxAttempts: 1 } });
    s.http.answer = () => ({
      kind: 'error',
      error: 'network error: ECONNREFUSED',
      timedOut: false,
      aborted: false,
      durationMs: 1,
    });
    expect(await s.executor.handle(run.message)).toBe('failed');
    // maxAttempts 1 means no retries were allowed: failed, not dead. With retries it ends dead:
    const second = await onceRun(s, { retry: { maxAttempts: 2, jitter: 'none' } });
    expect(await s.executor.handle(second.run.message)).toBe('retrying');
    const [retry] = s.queue.take();
    expect(await s.executor.handle(retry!.message)).toBe('dead');
    const dead = await s.queries.listDeadLetters('t', 10);
    expect(dead.items.map((e) => e.executionId)).toEqual([second.run.message.executionId]);
    expect((await s.queries.listDeadLetters('other', 10)).items).toEqual([]);
    await expect(s.executionService.replayDeadLetter('t', run.message.executionId)).rejects.toThrow(
      /only dead/,
    );
    await expect(
      s.executionService.replayDeadLetter('other', second.run.message.executionId),
    ).rejects.toThrow(/not found/);

    const replayed = await s.executionService.replayDeadLetter('t', second.run.message.executionId);
    expect(replayed).toMatchObject({ status: 'queued', attemptBase: 2 });
    expect((await s.queries.listDeadLetters('t', 10)).items).toEqual([]);
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    const [replay] = s.queue.take();
    expect(replay?.message).toMatchObject({ trigger: 'replay', attempt: 3 });
    expect(await s.executor.handle(replay!.message)).toBe('succeeded');
    expect(s.http.requests.at(-1)?.headers['x-scheduler-attempt']).toBe('3');
    expect(job.jobId).toBeTruthy();
  });
});

describe('per-job concurrency', () => {
  async function manualRuns(s: Scheduler, overlap: 'skip' | 'queue' | 'allow') {
    const job = await s.jobService.createJob(
      't',
      jobBody({
        schedule: { type: 'once', at: '2026-06-01T00:00:00.000Z' },
        concurrency: { max: 1, overlap },
      }),
    );
    await s.jobService.triggerJob('t', job.jobId);
    s.clock.advance(1);
    await s.jobService.triggerJob('t', job.jobId);
    return { job, runs: s.queue.take() };
  }

  it('skip: a second run while one is in flight is recorded as skipped', async () => {
    const s = setup();
    const { runs } = await manualRuns(s, 'skip');
    let finish: () => void = () => {};
    s.http.answer = () =>
      new Promise((resolve) => {
        finish = () => resolve({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
      });
    const first = s.executor.handle(runs[0]!.message);
    await until(() => s.http.requests.length === 1);
    expect(await s.otherExecutor.handle(runs[1]!.message)).toBe('skipped');
    finish();
    expect(await first).toBe('succeeded');
    expect((await s.executions.getExecution(runs[1]!.message.executionId))?.reason).toMatch(/overlap/);
  });

  it('queue: a blocked run comes back later and runs once the slot is free', async () => {
    const s = setup();
    const { runs } = await manualRuns(s, 'queue');
    let finish: () => void = () => {};
    s.http.answer = () =>
      new Promise((resolve) => {
        finish = () => resolve({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
      });
    const first = s.executor.handle(runs[0]!.message);
    await until(() => s.http.requests.length === 1);
    expect(await s.otherExecutor.handle(runs[1]!.message)).toBe('requeued');
    const [again] = s.queue.take();
    expect(again).toMatchObject({ delaySeconds: 2, message: { executionId: runs[1]!.message.executionId } });
    finish();
    await first;
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.otherExecutor.handle(again!.message)).toBe('succeeded');
  });

  it('allow: runs overlap freely', async () => {
    const s = setup();
    const { runs } = await manualRuns(s, 'allow');
    s.http.answer = () => new Promise(() => {});
    void s.executor.handle(runs[0]!.message);
    await until(() => s.http.requests.length === 1);
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.otherExecutor.handle(runs[1]!.message)).toBe('succeeded');
  });

  it('frees the slot of a crashed executor once its lease has passed', async () => {
    const s = setup();
    const { runs } = await manualRuns(s, 'skip');
    s.http.answer = () => new Promise(() => {}); // exec-a dies holding the slot
    void s.executor.handle(runs[0]!.message);
    await until(() => s.http.requests.length === 1);
    const held = await s.executions.getExecution(runs[0]!.message.executionId);
    s.clock.current = held!.lease!.until + 1;
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.otherExecutor.handle(runs[1]!.message)).toBe('succeeded');
  });

  it('releases the slot on every exit: failure, retry wait and success', async () => {
    const s = setup();
    const { job, runs } = await manualRuns(s, 'skip');
    s.http.answer = () => ({ kind: 'response', statusCode: 500, body: '', durationMs: 1 });
    expect(await s.executor.handle(runs[0]!.message)).toBe('retrying');
    expect(s.jobs.slots.get(job.jobId)?.size).toBe(0);
    s.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    expect(await s.executor.handle(runs[1]!.message)).toBe('succeeded');
    expect(s.jobs.slots.get(job.jobId)?.size).toBe(0);
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
