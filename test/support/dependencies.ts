import type { DependencyRound } from '../../lambdas/core/ports/dependency-rounds.js';
import type { JobRecord } from '../../schemas/records.js';
import { MemoryJobStore } from './memory.js';
import { jobBody, setup } from './scheduler.js';

export const TENANT = 'team-a';

/** A job store that yields to the event loop inside every round operation, so concurrent callers interleave. */
export class InterleavingJobStore extends MemoryJobStore {
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
export function dependencyWorld(options: { interleave?: boolean } = {}) {
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
