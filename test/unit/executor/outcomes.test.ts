import { beforeEach, describe, expect, it, vi } from 'vitest';
import { executionItemOf } from '../../../lambdas/adapters/dynamo-execution-items.js';
import { ATTEMPT_ERROR_MAX_BYTES } from '../../../lambdas/core/execution/attempts.js';
import { upcomingRuns } from '../../../lambdas/core/schedule.js';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../../lambdas/services/jobs/job-service.js';
import { WatcherService } from '../../../lambdas/services/watcher/watcher-service.js';
import { dynamoItemSize } from '../../support/dynamo-item-size.js';
import { jobBody, onceRun, type Scheduler, setup } from '../../support/scheduler.js';
import { fakeDeps } from '../../support/services.js';

const at = (s: string) => Date.parse(s);
const iso = (n: number) => new Date(n).toISOString();
const NOW_200 = Date.parse('2026-05-01T12:00:00.200Z');

describe('outcome recording', () => {
  let s: Scheduler;
  beforeEach(() => {
    s = setup({ now: NOW_200 });
  });
  const onceJob = (overrides: Record<string, unknown> = {}) => onceRun(s, overrides);

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
        'HTTP 302: redirect not followed (use the final URL): https://login.example.com/sso?next=%2Fhook',
    });
    expect(s.queue.sent).toEqual([]);
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('failed');
  });

  it('keeps an execution under 1 KB (one write unit) after three attempts with long errors', async () => {
    const s = setup();
    const { run } = await onceRun(s, {
      retry: { maxAttempts: 3, initialDelaySeconds: 1, maxDelaySeconds: 1, jitter: 'none' },
    });
    const error = `network error: getaddrinfo ENOTFOUND ${'a-very-long-host-name.'.repeat(40)}example.com ✗`;
    s.http.answer = () => ({ kind: 'error', error, timedOut: false, aborted: false, durationMs: 30_000 });
    s.clock.current = Date.parse(run.message.scheduledAt);
    let message = run.message;
    for (const expected of ['retrying', 'retrying', 'dead']) {
      expect(await s.executor.handle(message)).toBe(expected);
      const [next] = s.queue.take();
      if (next) {
        message = next.message;
        s.clock.advance(1_000);
      }
    }
    const dead = (await s.executions.getExecution(run.message.executionId))!;
    expect(dead.attempts).toHaveLength(3);
    for (const attempt of dead.attempts) {
      expect(Buffer.byteLength(attempt.error ?? '', 'utf8')).toBeLessThanOrEqual(ATTEMPT_ERROR_MAX_BYTES);
      expect(attempt.error).toMatch(/^network error: getaddrinfo ENOTFOUND a-very-long-host-name\..*…$/);
    }
    expect(dynamoItemSize(executionItemOf(dead))).toBeLessThan(1024);
  });

  it('says so when a redirect names no Location, and keeps a long Location short', async () => {
    const s = setup();
    const { run } = await onceRun(s);
    s.http.answer = () => ({ kind: 'response', statusCode: 307, body: '', durationMs: 3 });
    s.clock.current = Date.parse(run.message.scheduledAt);
    expect(await s.executor.handle(run.message)).toBe('failed');
    const attempt = (await s.executions.getExecution(run.message.executionId))?.attempts[0];
    expect(attempt?.error).toBe('HTTP 307: redirect without a Location, not followed');

    const other = await onceRun(s, { name: 'long' });
    const location = `https://example.com/${'x'.repeat(3000)}`;
    s.http.answer = () => ({ kind: 'response', statusCode: 301, body: '', location, durationMs: 3 });
    expect(await s.executor.handle(other.run.message)).toBe('failed');
    const error = (await s.executions.getExecution(other.run.message.executionId))?.attempts[0]?.error ?? '';
    expect(Buffer.byteLength(error, 'utf8')).toBeLessThanOrEqual(ATTEMPT_ERROR_MAX_BYTES);
    expect(error).toMatch(
      /^HTTP 301: redirect not followed \(use the final URL\): https:\/\/example\.com\/x+…$/,
    );
  });
});

describe('windows and the end of a job', () => {
  const NOW = at('2026-05-01T12:00:00.000Z');

  it('runs a cron schedule only inside startAt/endAt, in its timezone', () => {
    const schedule = {
      type: 'cron' as const,
      expression: '0 9 * * *',
      timezone: 'Europe/London',
      startAt: '2026-05-03T00:00:00.000Z',
      endAt: '2026-05-05T08:00:00.000Z',
    };
    expect(upcomingRuns(schedule, NOW, 10).map(iso)).toEqual([
      '2026-05-03T08:00:00.000Z',
      '2026-05-04T08:00:00.000Z',
      '2026-05-05T08:00:00.000Z',
    ]);
  });

  it('completes a recurring job after the last run of its window', async () => {
    const f = fakeDeps(NOW);
    const service = new JobService(f.deps);
    const watch = new WatcherService(f.deps);
    const executor = new ExecutorService(f.deps, 'exec');
    const job = await service.createJob(
      't',
      jobBody({
        schedule: { type: 'rate', everySeconds: 60, endAt: '2026-05-01T12:03:30.000Z' },
      }),
    );
    const runs = f.queue.take();
    f.clock.current = at('2026-05-01T12:02:00.000Z');
    await watch.watchShard(job.shard);
    runs.push(...f.queue.take());
    expect(runs.map((r) => r.message.scheduledAt)).toEqual([
      '2026-05-01T12:01:00.000Z',
      '2026-05-01T12:02:00.000Z',
      '2026-05-01T12:03:00.000Z',
    ]);
    expect((await f.jobs.getJob(job.jobId))?.nextRunAt).toBeUndefined();
    for (const run of runs) {
      f.clock.current = Math.max(f.clock.current, Date.parse(run.message.scheduledAt));
      expect(await executor.handle(run.message)).toBe('succeeded');
    }
    expect((await f.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('ends a one-time job with one conditional write after its run, reading nothing', async () => {
    const f = fakeDeps(NOW);
    const job = await new JobService(f.deps).createJob('t', jobBody({ schedule: { type: 'immediate' } }));
    const [run] = f.queue.take();
    const executor = new ExecutorService(f.deps, 'exec');
    const batch = await executor.readJobs([run!.message]);
    const reads = vi.spyOn(f.jobs, 'getJob');
    expect(await executor.handle(run!.message, batch)).toBe('succeeded');
    expect(reads).not.toHaveBeenCalled();
    expect((await f.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('still ends a one-time job when its batch read is older than the stored plan, by reading it', async () => {
    const f = fakeDeps(NOW);
    const job = await new JobService(f.deps).createJob('t', jobBody({ schedule: { type: 'immediate' } }));
    const [run] = f.queue.take();
    const read = (await f.jobs.getJob(job.jobId))!;
    const replanned = { ...read, planRev: (read.planRev ?? 0) + 1, version: read.version + 1 };
    await f.jobs.replaceJob(replanned, { version: read.version, nextRunAt: read.nextRunAt }, NOW);
    const reads = vi.spyOn(f.jobs, 'getJob');
    const executor = new ExecutorService(f.deps, 'exec');
    expect(await executor.handle(run!.message, new Map([[job.jobId, read]]))).toBe('succeeded');
    expect(reads).toHaveBeenCalledTimes(1);
    expect((await f.jobs.getJob(job.jobId))?.status).toBe('completed');
  });

  it('ends a one-time job failed when its run fails for good, completed when it succeeds', async () => {
    for (const [statusCode, expected] of [
      [200, 'completed'],
      [404, 'failed'],
    ] as const) {
      const f = fakeDeps(NOW);
      const job = await new JobService(f.deps).createJob('t', jobBody({ schedule: { type: 'immediate' } }));
      f.http.answer = () => ({ kind: 'response', statusCode, body: '', durationMs: 1 });
      await new ExecutorService(f.deps, 'exec').handle(f.queue.take()[0]!.message);
      expect((await f.jobs.getJob(job.jobId))?.status).toBe(expected);
    }
  });
});
