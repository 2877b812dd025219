import { describe, expect, it } from 'vitest';
import { runMessage } from '../../../lambdas/core/execution/run-messages.js';
import { deliveringEarly } from '../../../local/early-delivery.js';
import { LocalRecentWrites } from '../../../local/recent-writes.js';
import { aJob } from '../../integration/store-conformance.js';
import { MemoryJobStore, MemoryRunQueue } from '../../support/memory.js';

const job = { jobId: 'job_1', tenant: 't', planRev: 0 };
const AT = '2026-05-01T12:00:10.000Z';

describe('the local run queues hand first scheduled runs over early', () => {
  it('shortens the delay of first scheduled attempts by the lead, never below 0, and leaves every other run as it is', async () => {
    const inner = new MemoryRunQueue();
    const queue = deliveringEarly(inner, 3);
    await queue.send([
      { message: runMessage(job, AT, 'schedule'), priority: 'normal', delaySeconds: 10 },
      {
        message: runMessage(job, '2026-05-01T12:00:02.000Z', 'schedule'),
        priority: 'normal',
        delaySeconds: 2,
      },
      { message: runMessage(job, AT, 'schedule', 2), priority: 'normal', delaySeconds: 10 },
      { message: runMessage(job, AT, 'manual'), priority: 'high', delaySeconds: 0 },
      { message: runMessage(job, AT, 'dependency'), priority: 'normal', delaySeconds: 5 },
    ]);
    expect(inner.take().map((r) => r.delaySeconds)).toEqual([7, 0, 10, 0, 5]);
  });

  it('is the queue itself with no lead', () => {
    const inner = new MemoryRunQueue();
    expect(deliveringEarly(inner, 0)).toBe(inner);
  });
});

describe('the local runtime’s recent writes', () => {
  it('tell of a change of a job’s status or plan since a moment, not of an advance, and wake its waiting runs', async () => {
    let now = 1_000;
    const writes = new LocalRecentWrites(() => now);
    const jobs = writes.jobStore(new MemoryJobStore());
    const written = aJob();
    await jobs.createJob(written, now);
    expect(writes.touchedSince(written.jobId, 1_001)).toBe(false);
    expect(writes.touchedSince(written.jobId, 1_000)).toBe(true);
    let woken = 0;
    const unwatch = writes.watch(written.jobId, () => woken++);

    now = 3_000;
    // An advance (a new version, the same status and plan) stops no run: not a touch.
    await jobs.replaceJob({ ...written, version: 2 }, { version: 1, nextRunAt: written.nextRunAt }, now);
    expect(writes.touchedSince(written.jobId, 2_500)).toBe(false);
    expect(woken).toBe(0);
    await jobs.replaceJob(
      { ...written, version: 3, status: 'paused', planRev: 1 },
      { version: 2, nextRunAt: written.nextRunAt },
      now,
    );
    expect(writes.touchedSince(written.jobId, 2_500)).toBe(true);
    expect(woken).toBe(1);

    // A write whose condition failed counts as well: the run reads again rather than guess.
    now = 4_000;
    await expect(
      jobs.replaceJob(
        { ...written, version: 9, planRev: 2 },
        { version: 1, nextRunAt: written.nextRunAt },
        now,
      ),
    ).rejects.toThrow();
    expect(writes.touchedSince(written.jobId, 3_500)).toBe(true);
    expect(woken).toBe(2);
    unwatch();
    // The end of a job always counts; nobody watches any more.
    now = 5_000;
    await jobs.finishJob(written.jobId, { status: 'completed', planRev: 2, lastRunAt: 'x' }, now);
    expect(writes.touchedSince(written.jobId, 4_500)).toBe(true);
    expect(woken).toBe(2);
  });

  it('answers "touched" for a moment no later than the writes it has forgotten (two minutes on)', async () => {
    let now = 0;
    const writes = new LocalRecentWrites(() => now);
    const jobs = writes.jobStore(new MemoryJobStore());
    await jobs.createJob({ ...aJob(), jobId: 'job_old' }, now);
    now = 200_000;
    await jobs.createJob({ ...aJob(), jobId: 'job_new' }, now);
    // job_old's write at 0 is forgotten: any job may have been written then.
    expect(writes.touchedSince('job_other', 0)).toBe(true);
    expect(writes.touchedSince('job_other', 1)).toBe(false);
    expect(writes.touchedSince('job_new', 1)).toBe(true);
  });
});
