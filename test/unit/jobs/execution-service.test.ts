import { describe, expect, it } from 'vitest';
import { onceRun, setup } from '../../support/scheduler.js';

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
