import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { processRunBatch } from '../../../lambdas/executor/batch.js';
import type { RunMessage } from '../../../schemas/messages.js';
import { RUN_QUEUE_URLS, sqsRecord } from '../../support/lambda-events.js';
import { jobBody, setup } from '../../support/scheduler.js';
import { silentLogger } from '../../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

/** Two jobs running every minute, their first runs taken off the queue, the clock at their due time. */
async function twoMinuteJobs(extra: Record<string, unknown> = {}) {
  const s = setup({ now: NOW });
  const body = jobBody({ schedule: { type: 'rate', everySeconds: 60 }, ...extra });
  const jobs = [await s.jobService.createJob('t', body), await s.jobService.createJob('t', body)];
  const runs = s.queue
    .take()
    .map((r) => r.message)
    .filter((run) => run.scheduledAt === '2026-05-01T12:01:00.000Z');
  expect(runs).toHaveLength(2);
  s.clock.advance(60_000);
  return { s, jobs, runs };
}

/** An SQS batch of these runs, as the event source hands it to the executor. */
const batchOf = (runs: RunMessage[]): SQSEvent => ({
  Records: runs.map((run, i) => sqsRecord(`m${i}`, RUN_QUEUE_URLS.normal, 1, JSON.stringify(run))),
});

describe('the executor reads the jobs of a received batch once', () => {
  it('in one getJobs for every run of the batch, and no getJob for runs that cannot end their job', async () => {
    const { s, jobs, runs } = await twoMinuteJobs();
    const getJob = vi.spyOn(s.jobs, 'getJob');
    const getJobs = vi.spyOn(s.jobs, 'getJobs');
    const outcomes: string[] = [];
    const result = await processRunBatch(batchOf(runs), s.executor, silentLogger, (o) => outcomes.push(o));
    expect(result.batchItemFailures).toEqual([]);
    expect(outcomes).toEqual(['succeeded', 'succeeded']);
    expect(getJobs).toHaveBeenCalledTimes(1);
    expect(getJobs.mock.calls[0]?.[0].sort()).toEqual(jobs.map((j) => j.jobId).sort());
    expect(getJob).not.toHaveBeenCalled();
  });

  it('reads again, consistently, a job the batch read missed or saw under an older plan', async () => {
    const { s, jobs, runs } = await twoMinuteJobs();
    const [a, b] = jobs as [(typeof jobs)[0], (typeof jobs)[0]];
    s.jobs.staleReads.set(a.jobId, null);
    // B's plan moved on (a PATCH of its schedule) and this run was planned under the new one.
    s.jobs.items.set(b.jobId, { ...s.jobs.items.get(b.jobId)!, planRev: 1 });
    s.jobs.staleReads.set(b.jobId, b);
    const planned = runs.map((run) => (run.jobId === b.jobId ? { ...run, plan: 1 } : run));
    const getJob = vi.spyOn(s.jobs, 'getJob');
    const outcomes: string[] = [];
    await processRunBatch(batchOf(planned), s.executor, silentLogger, (o) => outcomes.push(o));
    expect(outcomes).toEqual(['succeeded', 'succeeded']);
    expect(getJob.mock.calls.map(([id]) => id).sort()).toEqual([a.jobId, b.jobId].sort());
  });

  it('reads each run’s job alone when the batch read fails', async () => {
    const { s, runs } = await twoMinuteJobs();
    s.jobs.getJobs = async () => Promise.reject(new Error('throttled'));
    const outcomes: string[] = [];
    const result = await processRunBatch(batchOf(runs), s.executor, silentLogger, (o) => outcomes.push(o));
    expect(result.batchItemFailures).toEqual([]);
    expect(outcomes).toEqual(['succeeded', 'succeeded']);
  });

  it('writes the end-of-schedule check only when the run can be the last, and ends the job then, reading nothing', async () => {
    const s = setup({ now: NOW });
    const job = await s.jobService.createJob(
      't',
      jobBody({
        schedule: { type: 'rate', everySeconds: 60, endAt: '2026-05-01T12:02:30.000Z' },
      }),
    );
    const runs = s.queue.take().map((r) => r.message);
    expect(runs.map((r) => r.scheduledAt)).toEqual(['2026-05-01T12:01:00.000Z', '2026-05-01T12:02:00.000Z']);
    const getJob = vi.spyOn(s.jobs, 'getJob');
    const finishJob = vi.spyOn(s.jobs, 'finishJob');
    const outcomes: string[] = [];
    for (const run of runs) {
      s.clock.advance(Date.parse(run.scheduledAt) - s.clock.now());
      await processRunBatch(batchOf([run]), s.executor, silentLogger, (o) => outcomes.push(o));
    }
    expect(outcomes).toEqual(['succeeded', 'succeeded']);
    // The 12:01 run has a successor within the window: nothing. The 12:02 run is the last: one
    // conditional write, and no read.
    expect(finishJob).toHaveBeenCalledTimes(1);
    expect(getJob).not.toHaveBeenCalled();
    expect((await s.jobs.getJob(job.jobId))?.status).toBe('completed');
  });
});
