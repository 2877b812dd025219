import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../../../lambdas/core/errors.js';
import { validateDependencies } from '../../../lambdas/services/dependencies/dependency-checks.js';
import { dependencyWorld, TENANT } from '../../support/dependencies.js';

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
