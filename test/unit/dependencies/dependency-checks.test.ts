import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../../../lambdas/core/errors.js';
import type { DependencyRound } from '../../../lambdas/core/ports/dependency-rounds.js';
import { validateDependencies } from '../../../lambdas/services/dependencies/dependency-checks.js';
import type { JobRecord } from '../../../schemas/records.js';
import { MemoryJobStore } from '../../support/memory.js';
import { jobBody, setup } from '../../support/scheduler.js';

const TENANT = 'team-a';

/** A job store that yields to the event loop inside every round operation, so concurrent callers interleave. */
class InterleavingJobStore extends MemoryJobStore {
  private static tick = () => new Promise((resolve) => setImmediate(resolve));
  override async getDependencyRound(downstreamId: string): Promise<DependencyRound> {
    await InterleavingJobStore.tick();
    return super.getDependencyRound(downstreamId);
  }
  override async recordUpstreamRun(down: string, up: string, executionId: string): Promise<DependencyRound> {
    await InterleavingJobStore.tick();
    const round = await super.recordUpstreamRun(down, up, executionId);
    await InterleavingJobStore.tick();
    return round;
  }
  override async closeDependencyRound(down: string, rev: number, consumed: string[], at: string) {
    await InterleavingJobStore.tick();
    return super.closeDependencyRound(down, rev, consumed, at);
  }
}

/** The shared setup with the listeners on, a create of dependency-test jobs and a job's history oldest first. */
function dependencyWorld(options: { interleave?: boolean } = {}) {
  const s = setup({
    listeners: true,
    ...(options.interleave ? { jobs: new InterleavingJobStore() } : {}),
  });
  const create = (overrides: Record<string, unknown>, tenant = TENANT) =>
    s.jobService.createJob(
      tenant,
      jobBody({
        schedule: { type: 'cron', expression: '0 0 1 1 *' },
        retry: { maxAttempts: 1 },
        ...overrides,
      }),
    );
  const history = async (job: JobRecord) =>
    (await s.executions.listByJob(job.jobId, {}, 100)).items.sort((a, b) =>
      a.scheduledAt < b.scheduledAt ? -1 : 1,
    );
  return { ...s, create, history };
}

describe('validateDependencies', () => {
  it('refuses a missing upstream and another tenant’s job alike, naming the field', async () => {
    const s = dependencyWorld();
    const theirs = await s.create({}, 'team-b');
    const error = await s
      .create({ dependsOn: ['job_01J0000000000000000000000Z', theirs.jobId] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as ValidationFailed).details).toEqual([
      { path: 'dependsOn[0]', message: 'job job_01J0000000000000000000000Z not found' },
      { path: 'dependsOn[1]', message: `job ${theirs.jobId} not found` },
    ]);
    expect(s.jobs.dependents.size).toBe(0);
  });

  it('refuses an upstream listed twice and a dependency schedule without upstreams', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    await expect(s.create({ dependsOn: [a.jobId, a.jobId] })).rejects.toThrow(/listed twice/);
    await expect(s.create({ schedule: { type: 'dependency' } })).rejects.toThrow(
      /dependency schedule needs at least one job/,
    );
  });

  it('names the cycle a change of dependsOn would close, over the whole upstream graph', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId] });
    const c = await s.create({ schedule: { type: 'dependency' }, dependsOn: [b.jobId] });
    // What a PATCH of A to depend on C would do: A → C → B → A.
    const error = await validateDependencies(s.jobs, TENANT, a.jobId, {
      dependsOn: [c.jobId],
      schedule: a.schedule,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as Error).message).toBe(
      `dependency cycle: ${a.jobId} → ${c.jobId} → ${b.jobId} → ${a.jobId}`,
    );
    await expect(
      validateDependencies(s.jobs, TENANT, a.jobId, { dependsOn: [a.jobId], schedule: a.schedule }),
    ).rejects.toThrow(`dependency cycle: ${a.jobId} → ${a.jobId}`);
    // A diamond is fine.
    await validateDependencies(s.jobs, TENANT, c.jobId, {
      dependsOn: [a.jobId, b.jobId],
      schedule: c.schedule,
    });
  });
});

describe('JobService.createJob with dependencies', () => {
  it('keeps a dependency-scheduled job active with no next run, and registers its reverse edges', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({});
    const d = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId, b.jobId] });
    expect(d.status).toBe('active');
    expect(d.nextRunAt).toBeUndefined();
    expect(s.queue.sent).toEqual([]);
    expect(await s.jobs.getDependents(a.jobId)).toEqual([d.jobId]);
    expect(await s.jobs.getDependents(b.jobId)).toEqual([d.jobId]);
  });
});
