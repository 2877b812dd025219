import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { newExecution } from '../../core/execution/records.js';
import type { DependencyRound } from '../../core/ports/dependency-rounds.js';
import type { OutgoingRun } from '../../core/ports/run-queue.js';
import { iso } from '../../core/time.js';
import { createAtFreeInstant, recordOneOffRun, sendOneOffRuns } from '../hand-over.js';
import { emit, type ServiceDeps } from '../service-deps.js';

/** Rounds lost to concurrent writers before giving up (each loss means someone else made progress). */
const MAX_ROUND_RACES = 10;

const DEPENDENCY_SKIP = 'dependency: ';

/** The `reason` of a run skipped because an upstream run failed; names the upstream and its run. */
export function dependencySkipReason(upstream: JobRecord, failed: ExecutionRecord): string {
  return `${DEPENDENCY_SKIP}upstream ${upstream.jobId} run ${failed.executionId} ended ${failed.status}`;
}

/**
 * Whether a run was skipped for an upstream's failure — not dropped by its own overlap or misfire
 * policy, which can happen to a dependency-triggered run too (a run still in flight, overlap `skip`).
 */
export function isDependencySkip(execution: ExecutionRecord): boolean {
  return (
    execution.status === 'skipped' &&
    execution.trigger === 'dependency' &&
    (execution.reason?.startsWith(DEPENDENCY_SKIP) ?? false)
  );
}

/** What an upstream's final execution means to its dependents; null: nothing (cancelled, missed). */
export function upstreamOutcome(execution: ExecutionRecord): 'succeeded' | 'failed' | null {
  switch (execution.status) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'timed_out':
    case 'dead':
      return 'failed';
    case 'skipped':
      // A dependent skipped because of its own upstream passes the failure down the chain;
      // a run dropped by the misfire or overlap policy never ran and means nothing downstream.
      return isDependencySkip(execution) ? 'failed' : null;
    default:
      return null;
  }
}

/**
 * Runs jobs after their upstreams. Each dependent has a round (JobStore.recordUpstreamRun):
 * upstream outcomes arrive in it, and when every upstream in `dependsOn` has arrived the round is
 * closed with a write conditioned on its `rev` — of two upstreams finishing at once exactly one
 * closes it — and the closer enqueues the dependent's run (`trigger: "dependency"`). A failed
 * upstream run under `onDependencyFailure: skip` closes the round at once and records a `skipped`
 * execution naming the upstream; under `run` it arrives like a success.
 */
export class DependencyService {
  constructor(private readonly deps: ServiceDeps) {}

  /** `known`: the upstream's dependents as its executor read them with its batch; else read here. */
  async upstreamFinished(
    upstream: JobRecord,
    execution: ExecutionRecord,
    known?: readonly string[],
  ): Promise<void> {
    const outcome = upstreamOutcome(execution);
    if (outcome === null) return;
    const dependents = known ?? (await this.deps.dependencyEdges.getDependents(upstream.jobId));
    const results = await Promise.allSettled(
      dependents.map((downstreamId) => this.advance(downstreamId, upstream, execution, outcome)),
    );
    // The dependents' runs go to the queue together: ten a request, whatever job.
    const runs = results.flatMap((result) =>
      result.status === 'fulfilled' && result.value ? [result.value] : [],
    );
    await sendOneOffRuns(this.deps, runs, 'dependency run');
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        this.deps.log.error('dependent not advanced', {
          upstream: upstream.jobId,
          downstream: dependents[i],
          executionId: execution.executionId,
          error: String(result.reason),
        });
      }
    });
  }

  private async advance(
    downstreamId: string,
    upstream: JobRecord,
    execution: ExecutionRecord,
    outcome: 'succeeded' | 'failed',
  ): Promise<OutgoingRun | null> {
    const { jobs, dependencyRounds: rounds, log } = this.deps;
    const job = await jobs.getJob(downstreamId);
    // An edge left behind by a PATCH that dropped the upstream, or a job gone: nothing to do.
    if (!job || job.tenant !== upstream.tenant || !job.dependsOn.includes(upstream.jobId)) return null;
    if (job.status !== 'active') {
      log.info('dependent is not active; upstream run ignored', { jobId: job.jobId, status: job.status });
      return null;
    }
    if (outcome === 'failed' && job.onDependencyFailure === 'skip') {
      await this.skipRound(job, upstream, execution);
      return null;
    }
    let round = await rounds.recordUpstreamRun(job.jobId, upstream.jobId, execution.executionId);
    for (let race = 0; race < MAX_ROUND_RACES; race++) {
      if (!job.dependsOn.every((id) => round.arrived[id] !== undefined)) return null;
      const now = this.deps.clock.now();
      if (await this.close(job, round, now))
        return (await recordOneOffRun(this.deps, job, 'dependency', now)).run;
      round = await rounds.getDependencyRound(job.jobId);
    }
    log.warn('dependency round kept changing; left for the next upstream run', { jobId: job.jobId });
    return null;
  }

  private close(job: JobRecord, round: DependencyRound, now: number): Promise<boolean> {
    return this.deps.dependencyRounds.closeDependencyRound(
      job.jobId,
      round.rev,
      Object.keys(round.arrived),
      iso(now),
    );
  }

  private async skipRound(job: JobRecord, upstream: JobRecord, failed: ExecutionRecord): Promise<void> {
    const { dependencyRounds: rounds } = this.deps;
    for (let race = 0; race < MAX_ROUND_RACES; race++) {
      const round = await rounds.getDependencyRound(job.jobId);
      const now = this.deps.clock.now();
      if (!(await this.close(job, round, now))) continue;
      const reason = dependencySkipReason(upstream, failed);
      const retention = this.deps.settings.hotRetentionSeconds;
      const skipped = await createAtFreeInstant(this.deps.executions, job, now, (at) =>
        newExecution(job, iso(at), 'dependency', 'skipped', now, retention, reason),
      );
      // Notifications see it, and the dependent's own dependents take the failure in turn.
      await emit(this.deps, (events) => events.finished(job, skipped));
      return;
    }
    this.deps.log.warn('dependency round kept changing; skip not recorded', { jobId: job.jobId });
  }
}
