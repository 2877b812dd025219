import { describe, expect, it } from 'vitest';
import { withLatenessMetric, withOutcomeMetrics } from '../../lambdas/composition/metric-listeners.js';
import type { ExecutionEvents } from '../../lambdas/core/ports/execution-events.js';
import { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../lambdas/services/jobs/job-service.js';
import { CreateJobBody } from '../../schemas/job.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import { fakeDeps } from '../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

describe('withOutcomeMetrics', () => {
  it('counts each final status in its metric and passes every event on', async () => {
    const counted: string[] = [];
    const seen: string[] = [];
    const events = withOutcomeMetrics(
      {
        started: async () => void seen.push('started'),
        attemptFailed: async () => void seen.push('attemptFailed'),
        finished: async (_job, execution) => void seen.push(execution.status),
      },
      (metric) => counted.push(metric),
    );
    const job = {} as JobRecord;
    for (const status of ['succeeded', 'failed', 'timed_out', 'dead', 'cancelled', 'skipped']) {
      await events.finished(job, { status } as ExecutionRecord);
    }
    await events.started(job, {} as ExecutionRecord, 5);
    expect(counted).toEqual([
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsFailed',
      'ExecutionsDead',
    ]);
    expect(seen).toEqual(['succeeded', 'failed', 'timed_out', 'dead', 'cancelled', 'skipped', 'started']);
  });
});

describe('executor StartLatenessMs metric', () => {
  it('records the lateness of the first attempt once per execution and passes every event on', async () => {
    const f = fakeDeps(NOW);
    const seen: string[] = [];
    const inner: ExecutionEvents = {
      started: async (_j, e, late) => void seen.push(`started ${e.executionId.slice(-24)} ${late}`),
      attemptFailed: async () => void seen.push('attemptFailed'),
      finished: async (_j, e) => void seen.push(`finished ${e.status}`),
    };
    const recorded: number[] = [];
    f.deps.events = withLatenessMetric(inner, (ms) => recorded.push(ms));
    const jobs = new JobService(f.deps);
    const executor = new ExecutorService(f.deps, 'exec-a');
    await jobs.createJob(
      't',
      CreateJobBody.parse({
        schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' },
        target: { url: 'https://example.com/hook' },
        retry: { maxAttempts: 2, initialDelaySeconds: 1, maxDelaySeconds: 1 },
      }),
    );
    let calls = 0;
    f.http.answer = () => ({
      kind: 'response',
      statusCode: ++calls === 1 ? 503 : 200,
      body: '',
      durationMs: 1,
    });

    f.clock.current = Date.parse('2026-05-01T12:00:01.250Z');
    const [first] = f.queue.take();
    await executor.handle(first!.message);
    const [retry] = f.queue.take();
    expect(retry).toBeDefined();
    f.clock.current = Date.parse('2026-05-01T12:00:03.000Z');
    expect(await executor.handle(retry!.message)).toBe('succeeded');

    expect(calls).toBe(2);
    expect(recorded).toEqual([250]);
    expect(seen).toEqual(['started 2026-05-01T12:00:01.000Z 250', 'attemptFailed', 'finished succeeded']);
  });
});
