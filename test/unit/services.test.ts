import { beforeEach, describe, expect, it } from 'vitest';
import { jobBody, type Scheduler, setup } from '../support/scheduler.js';

const NOW = Date.parse('2026-05-01T12:00:00.200Z');

describe('JobsService', () => {
  describe('createJob', () => {
    it('stores a far-off job on the due index without sending anything', async () => {
      const s = setup({ now: NOW });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'once', at: '2026-05-01T13:00:00.000Z' } }),
      );
      expect(job.nextRunAt).toBe('2026-05-01T13:00:00.000Z');
      expect(s.jobs.dueHourOf(job.jobId)).toBe('2026-05-01T13');
      expect(s.queue.sent).toEqual([]);
    });

    it('sends a run inside the look-ahead at once and stores the job already advanced', async () => {
      const s = setup({ now: NOW });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:03.000Z' } }),
      );
      expect(job.nextRunAt).toBeUndefined();
      expect(job.enqueuedThrough).toBe('2026-05-01T12:00:03.000Z');
      expect(s.queue.sent).toHaveLength(1);
      expect(s.queue.sent[0]).toMatchObject({
        delaySeconds: 2,
        priority: 'normal',
        message: { trigger: 'schedule', attempt: 1 },
      });
    });

    it('puts the job back on the due index when the fast-path send fails', async () => {
      const s = setup({ now: NOW });
      s.queue.failNext = 1;
      const job = await s.jobService.createJob('t', jobBody({ schedule: { type: 'immediate' } }));
      const stored = await s.jobs.getJob(job.jobId);
      expect(stored?.nextRunAt).toBe('2026-05-01T12:00:00.200Z');
      expect(stored?.enqueuedThrough).toBeUndefined();
      const report = await s.watcher.watchShard(stored!.shard);
      expect(report.runsEnqueued).toBe(1);
      expect(s.queue.sent).toHaveLength(1);
    });
  });

  describe('triggerJob', () => {
    it('records a queued manual execution and sends it with no delay', async () => {
      const s = setup({ now: NOW });
      const job = await s.jobService.createJob(
        't',
        jobBody({ schedule: { type: 'once', at: '2026-06-01T00:00:00.000Z' } }),
      );
      const execution = await s.jobService.triggerJob('t', job.jobId);
      expect(execution).toMatchObject({
        status: 'queued',
        trigger: 'manual',
        scheduledAt: '2026-05-01T12:00:00.200Z',
      });
      const second = await s.jobService.triggerJob('t', job.jobId);
      expect(second.executionId).not.toBe(execution.executionId);
      expect(s.queue.sent.map((r) => r.delaySeconds)).toEqual([0, 0]);
      await expect(s.jobService.triggerJob('other', job.jobId)).rejects.toThrow(/not found/);
    });
  });
});

describe('ExecuteService', () => {
  let s: Scheduler;
  beforeEach(() => {
    s = setup({ now: NOW });
  });

  async function onceJob(overrides: Record<string, unknown> = {}) {
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' }, ...overrides }),
    );
    const [run] = s.queue.take();
    return { job, run: run! };
  }

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
    expect(execution?.expiresAt).toBeGreaterThan(NOW / 1000);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('absorbs a duplicate delivery: the target is called once', async () => {
    const { run } = await onceJob();
    const [a, b] = await Promise.all([s.executor.handle(run.message), s.otherExecutor.handle(run.message)]);
    expect([a, b].sort()).toEqual(['dropped', 'succeeded']);
    expect(await s.executor.handle(run.message)).toBe('dropped');
    expect(s.http.requests).toHaveLength(1);
  });

  it('retries a failed attempt with backoff inside the same execution, then records dead', async () => {
    const { job, run } = await onceJob({
      retry: { maxAttempts: 3, initialDelaySeconds: 1, maxDelaySeconds: 5, jitter: 'none' },
    });
    s.http.answer = () => ({ kind: 'response', statusCode: 503, body: '', durationMs: 3 });
    expect(await s.executor.handle(run.message)).toBe('retrying');
    const [retry] = s.queue.take();
    expect(retry).toMatchObject({
      delaySeconds: 1,
      message: { attempt: 2, executionId: run.message.executionId },
    });
    expect(await s.executor.handle(retry!.message)).toBe('retrying');
    const [third] = s.queue.take();
    expect(third?.delaySeconds).toBe(2);
    expect(await s.executor.handle(third!.message)).toBe('dead');
    const execution = await s.executions.getExecution(run.message.executionId);
    expect(execution?.attempts.map((a) => [a.attempt, a.statusCode, a.status])).toEqual([
      [1, 503, 'failed'],
      [2, 503, 'failed'],
      [3, 503, 'failed'],
    ]);
    expect((await s.executions.listDead('t', 10)).items.map((e) => e.executionId)).toEqual([
      run.message.executionId,
    ]);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('failed');
    expect(s.http.requests).toHaveLength(3);
  });

  it('does not retry a 4xx unless the job opts in', async () => {
    const { run } = await onceJob();
    s.http.answer = () => ({ kind: 'response', statusCode: 404, body: '', durationMs: 3 });
    expect(await s.executor.handle(run.message)).toBe('failed');
    expect(s.queue.sent).toEqual([]);
  });

  it('records a timeout as timed_out when no retry is left', async () => {
    const { run } = await onceJob({ retry: { maxAttempts: 1 } });
    s.http.answer = () => ({
      kind: 'error',
      error: 'timed out after 30000 ms',
      timedOut: true,
      aborted: false,
      durationMs: 30000,
    });
    expect(await s.executor.handle(run.message)).toBe('timed_out');
  });

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

describe('WatcherService', () => {
  it('sends due runs first, then advances; a crash in between only causes a duplicate the claim absorbs', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'rate', everySeconds: 60, startAt: '2026-05-01T12:05:00.000Z' } }),
    );
    expect(job.nextRunAt).toBe('2026-05-01T12:05:00.000Z');
    s.clock.current = Date.parse('2026-05-01T12:04:00.000Z');
    s.jobs.beforeWrite = (op) => {
      if (op === 'advanceJob') throw new Error('crash between send and advance');
    };
    await s.watcher.watchShard(job.shard);
    const firstTick = s.queue.take();
    expect(firstTick.map((r) => r.message.scheduledAt)).toEqual([
      '2026-05-01T12:05:00.000Z',
      '2026-05-01T12:06:00.000Z',
    ]);
    s.jobs.beforeWrite = () => {};
    await s.watcher.watchShard(job.shard);
    const secondTick = s.queue.take();
    expect(secondTick.map((r) => r.message.executionId)).toEqual(firstTick.map((r) => r.message.executionId));
    for (const run of [...firstTick, ...secondTick]) await s.executor.handle(run.message);
    expect(s.http.requests).toHaveLength(2);
    expect((await s.jobs.getJob(job.jobId))?.nextRunAt).toBe('2026-05-01T12:07:00.000Z');
  });

  it('applies the misfire policy after downtime and records skipped runs', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({
        schedule: { type: 'rate', everySeconds: 60, startAt: '2026-05-01T12:05:00.000Z' },
        misfire: 'skip',
      }),
    );
    s.clock.current = Date.parse('2026-05-01T12:10:30.000Z');
    const report = await s.watcher.watchShard(job.shard);
    expect(report.skippedRecorded).toBe(5);
    expect(s.queue.take().map((r) => r.message.scheduledAt)).toEqual([
      '2026-05-01T12:10:00.000Z',
      '2026-05-01T12:11:00.000Z',
      '2026-05-01T12:12:00.000Z',
    ]);
    const history = await s.executions.listByJob(job.jobId, { status: 'skipped' }, 10);
    expect(history.items).toHaveLength(5);
  });

  it('finds jobs left in older hour buckets after hours of downtime', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'rate', everySeconds: 3600, startAt: '2026-05-01T12:30:00.000Z' } }),
    );
    await s.watcher.watchShard(job.shard); // sets the watermark at 12:00
    s.clock.current = Date.parse('2026-05-01T17:45:00.000Z');
    await s.watcher.watchShard(job.shard);
    const sent = s.queue.take();
    expect(sent.map((r) => [r.message.scheduledAt, r.message.lateAccepted ?? false])).toEqual([
      ['2026-05-01T17:30:00.000Z', true],
    ]);
    expect(await s.jobs.getWatermark(job.shard)).toBe('2026-05-01T17');
  });

  it('re-sends a manual run whose message was lost, once its slack has passed', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-06-01T00:00:00.000Z' } }),
    );
    await s.jobService.triggerJob('t', job.jobId);
    s.queue.take(); // lost
    expect(await s.watcher.reapPending(job.shard, s.clock.now())).toBe(0);
    s.clock.advance(3 * 60_000);
    expect(await s.watcher.reapPending(job.shard, s.clock.now())).toBe(1);
    const [resent] = s.queue.take();
    expect(await s.executor.handle(resent!.message)).toBe('succeeded');
    expect(await s.watcher.reapPending(job.shard, s.clock.now() + 10 * 60_000)).toBe(0);
  });
});
