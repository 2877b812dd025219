import { describe, expect, it } from 'vitest';
import { heldCall, jobBody, type Scheduler, setup, until } from '../../support/scheduler.js';

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
    const { call: first, answer: finish } = await heldCall(s, runs[0]!.message);
    expect(await s.otherExecutor.handle(runs[1]!.message)).toBe('skipped');
    finish();
    expect(await first).toBe('succeeded');
    expect((await s.executions.getExecution(runs[1]!.message.executionId))?.reason).toMatch(/overlap/);
  });

  it('queue: a blocked run comes back later and runs once the slot is free', async () => {
    const s = setup();
    const { runs } = await manualRuns(s, 'queue');
    const { call: first, answer: finish } = await heldCall(s, runs[0]!.message);
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
