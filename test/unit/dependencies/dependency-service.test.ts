import { describe, expect, it } from 'vitest';
import { upstreamOutcome } from '../../../lambdas/services/dependencies/dependency-service.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { dependencyWorld, TENANT } from '../../support/dependencies.js';

function finishedRun(job: JobRecord, at: string, status: ExecutionRecord['status']): ExecutionRecord {
  return {
    executionId: `${job.jobId}:${at}`,
    jobId: job.jobId,
    tenant: job.tenant,
    scheduledAt: at,
    trigger: 'manual',
    status,
    attempts: [],
    rev: 2,
    finishedAt: at,
  };
}

describe('DependencyService', () => {
  it('runs A → B → C in order, each dependent with trigger "dependency"', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId] });
    const c = await s.create({ schedule: { type: 'dependency' }, dependsOn: [b.jobId] });
    await s.jobService.triggerJob(TENANT, a.jobId);
    expect(await s.drain()).toEqual([`${a.jobId}:succeeded`, `${b.jobId}:succeeded`, `${c.jobId}:succeeded`]);
    const [bRun] = await s.history(b);
    expect(bRun).toMatchObject({ trigger: 'dependency', status: 'succeeded' });
    expect(s.http.requests).toHaveLength(3);
  });

  it("sends the runs of an upstream's dependents in one batch, and the reaper sends them if the queue refuses it", async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const dependents = [];
    for (let i = 0; i < 3; i++)
      dependents.push(await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId] }));
    await s.jobService.triggerJob(TENANT, a.jobId);
    const [aRun] = s.queue.take();
    s.queue.sendCalls = 0;
    s.queue.failNext = 1;
    expect(await s.executor.handle(aRun!.message)).toBe('succeeded');
    expect(s.queue.sendCalls).toBe(1); // one send for the three, refused
    expect(s.queue.take()).toEqual([]);
    s.clock.advance(3 * 60_000);
    for (let shard = 0; shard < 4; shard++) await s.watcher.reapPending(shard, s.clock.now());
    expect(new Set(s.queue.sent.map((r) => r.message.jobId))).toEqual(
      new Set(dependents.map((d) => d.jobId)),
    );
    const outcomes = await s.drain();
    expect(outcomes.sort()).toEqual(dependents.map((d) => `${d.jobId}:succeeded`).sort());
  });

  it('runs a dependent that keeps its own schedule after its upstream too', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({ schedule: { type: 'rate', everySeconds: 3600 }, dependsOn: [a.jobId] });
    expect(b.nextRunAt).toBe('2026-05-01T13:00:00.000Z');
    await s.jobService.triggerJob(TENANT, a.jobId);
    expect(await s.drain()).toEqual([`${a.jobId}:succeeded`, `${b.jobId}:succeeded`]);
    const [bRun] = await s.history(b);
    expect(bRun).toMatchObject({ trigger: 'dependency', status: 'succeeded' });
    expect((await s.jobs.getJob(b.jobId))!.nextRunAt).toBe('2026-05-01T13:00:00.000Z');
  });

  it('waits for every upstream, and two upstreams finishing at once fire the dependent exactly once', async () => {
    for (let round = 0; round < 10; round++) {
      const s = dependencyWorld({ interleave: true });
      const a1 = await s.create({});
      const a2 = await s.create({});
      const b = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a1.jobId, a2.jobId] });
      const events = s.deps.events!;
      await events.finished(a1, finishedRun(a1, '2026-05-01T12:00:00.000Z', 'succeeded'));
      expect(await s.history(b)).toEqual([]);
      // Second round: both upstreams at once, twice over.
      await Promise.all([
        events.finished(a2, finishedRun(a2, '2026-05-01T12:00:00.000Z', 'succeeded')),
        events.finished(a1, finishedRun(a1, '2026-05-01T12:00:01.000Z', 'succeeded')),
      ]);
      expect(await s.history(b)).toHaveLength(1);
      s.clock.advance(1000);
      await Promise.all([
        events.finished(a1, finishedRun(a1, '2026-05-01T12:00:02.000Z', 'succeeded')),
        events.finished(a2, finishedRun(a2, '2026-05-01T12:00:02.000Z', 'succeeded')),
      ]);
      const runs = await s.history(b);
      expect(runs.map((r) => [r.trigger, r.status])).toEqual([
        ['dependency', 'queued'],
        ['dependency', 'queued'],
      ]);
      expect(s.queue.sent.map((r) => r.message.executionId)).toEqual(runs.map((r) => r.executionId));
    }
  });

  it('skips the dependent of a failed upstream under "skip", down the chain, naming the upstream', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId] });
    const c = await s.create({ schedule: { type: 'dependency' }, dependsOn: [b.jobId] });
    s.http.answer = () => ({ kind: 'response', statusCode: 500, body: '', durationMs: 3 });
    const aRun = await s.jobService.triggerJob(TENANT, a.jobId);
    expect(await s.drain()).toEqual([`${a.jobId}:failed`]);
    const [bRun] = await s.history(b);
    expect(bRun).toMatchObject({
      trigger: 'dependency',
      status: 'skipped',
      reason: `dependency: upstream ${a.jobId} run ${aRun.executionId} ended failed`,
    });
    const [cRun] = await s.history(c);
    expect(cRun).toMatchObject({ status: 'skipped', reason: expect.stringContaining(b.jobId) });
    expect(s.http.requests).toHaveLength(1);
  });

  it('runs the dependent of a failed upstream under "run"', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({
      schedule: { type: 'dependency' },
      dependsOn: [a.jobId],
      onDependencyFailure: 'run',
    });
    s.http.answer = (request) =>
      request.headers['x-scheduler-job-id'] === a.jobId
        ? { kind: 'error', error: 'connection refused', timedOut: false, aborted: false, durationMs: 1 }
        : { kind: 'response', statusCode: 200, body: '', durationMs: 1 };
    await s.jobService.triggerJob(TENANT, a.jobId);
    expect(await s.drain()).toEqual([`${a.jobId}:failed`, `${b.jobId}:succeeded`]);
  });

  it('ignores a paused dependent, a stale edge and upstream runs that never ran', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId] });
    const c = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId] });
    await s.jobs.replaceJob(
      { ...b, status: 'paused', version: 2 },
      { version: 1, nextRunAt: undefined },
      s.clock.now(),
    );
    const other = await s.create({});
    // c no longer depends on a (as after a PATCH), though the edge is still there.
    await s.jobs.replaceJob(
      { ...c, dependsOn: [other.jobId], version: 2 },
      { version: 1, nextRunAt: undefined },
      s.clock.now(),
    );
    await s.deps.events!.finished(a, finishedRun(a, '2026-05-01T12:00:00.000Z', 'succeeded'));
    await s.deps.events!.finished(a, finishedRun(a, '2026-05-01T12:00:01.000Z', 'cancelled'));
    expect(await s.history(b)).toEqual([]);
    expect(await s.history(c)).toEqual([]);
    expect(s.queue.sent).toEqual([]);
  });

  it('passes on no failure for a dependent run its own overlap policy dropped', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({
      schedule: { type: 'dependency' },
      dependsOn: [a.jobId],
      concurrency: { max: 1, overlap: 'skip' },
    });
    const c = await s.create({ schedule: { type: 'dependency' }, dependsOn: [b.jobId] });
    // B's target takes its runs over asynchronously: the first one holds B's only slot.
    s.http.answer = (request) =>
      request.headers['x-scheduler-job-id'] === b.jobId
        ? { kind: 'response', statusCode: 202, body: '{"async":true}', durationMs: 1 }
        : { kind: 'response', statusCode: 200, body: '', durationMs: 1 };
    await s.jobService.triggerJob(TENANT, a.jobId);
    expect(await s.drain()).toEqual([`${a.jobId}:succeeded`, `${b.jobId}:running`]);
    s.clock.advance(1000);
    await s.jobService.triggerJob(TENANT, a.jobId);
    expect(await s.drain()).toEqual([`${a.jobId}:succeeded`, `${b.jobId}:skipped`]);
    const [, dropped] = await s.history(b);
    expect(dropped).toMatchObject({ trigger: 'dependency', status: 'skipped' });
    expect(await s.history(c)).toEqual([]);
  });

  it.each([
    ['succeeded', 'schedule', undefined, 'succeeded'],
    ['dead', 'schedule', undefined, 'failed'],
    ['timed_out', 'schedule', undefined, 'failed'],
    ['failed', 'manual', undefined, 'failed'],
    ['skipped', 'dependency', 'dependency: upstream job_w run job_w:x ended dead', 'failed'],
    ['skipped', 'dependency', 'overlap: the job already runs 1 at once', null],
    ['skipped', 'schedule', 'missed (misfire policy skip)', null],
    ['cancelled', 'schedule', 'cancelled', null],
  ] as const)(
    'an upstream run %s (trigger %s, reason %s) counts as %s',
    (status, trigger, reason, expected) => {
      const run = {
        ...finishedRun({ jobId: 'job_x', tenant: 't' } as JobRecord, 'x', status),
        trigger,
        ...(reason ? { reason } : {}),
      };
      expect(upstreamOutcome(run)).toBe(expected);
    },
  );
});
