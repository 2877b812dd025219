import type { JobDefinition, JobPatch } from '../../../schemas/job.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { shardOf } from '../../core/buckets.js';
import { ConditionFailed, InvalidSchedule, InvalidState, VersionConflict } from '../../core/errors.js';
import { executionIdFor, newJobId } from '../../core/ids.js';
import { anchorOf, type Placement, placement, withNextRun } from '../../core/job-schedule.js';
import {
  applyJobPatch,
  checkVersion,
  missedSince,
  oneTimeRunAt,
  type VersionMatch,
  withNewPlan,
  withScheduleChange,
  withStatus,
} from '../../core/lifecycle.js';
import { restoreRedactedHeaders } from '../../core/redaction.js';
import { firstRunAt, nextRunAfter, rateAnchorFor, validateSchedule } from '../../core/schedule.js';
import { isFinal, isJobFinished } from '../../core/states.js';
import { iso } from '../../core/time.js';
import { syncDependencyEdges, validateDependencies } from '../dependencies/dependency-checks.js';
import { handOver, queueOneOffRun } from '../hand-over.js';
import { planReach, type ServiceDeps } from '../service-deps.js';
import { assertTargetsAllowed, DEFAULT_POLICY, releaseJobPlace, reserveJobPlace } from '../tenant-policy.js';
import { ExecutionService } from './execution-service.js';
import { tenantJob } from './query-service.js';

const MAX_WRITE_RACES = 5;

const NO_FUTURE_RUN = [{ path: 'schedule', message: 'has no future run' }];

/** Finished jobs (cancelled, completed, failed) take no PATCH, pause or resume: 409. */
function assertChangeable(job: JobRecord, what: 'changed' | 'paused' | 'resumed'): void {
  if (isJobFinished(job.status)) {
    throw new InvalidState(`job ${job.jobId} is ${job.status}; it cannot be ${what}`);
  }
}

/** Commands on jobs: create, change, pause, resume, cancel, trigger. */
export class JobService {
  private readonly executions: ExecutionService;

  constructor(private readonly deps: ServiceDeps) {
    this.executions = new ExecutionService(deps);
  }

  /**
   * Everything that can refuse the job is checked before it takes a place under the tenant's jobs
   * limit; a failure after that gives the place back unless the job was stored.
   */
  async createJob(tenant: string, definition: JobDefinition): Promise<JobRecord> {
    const { clock, random } = this.deps;
    const now = clock.now();
    validateSchedule(definition.schedule, now);
    assertTargetsAllowed(definition, this.deps.policy ?? DEFAULT_POLICY);
    const jobId = newJobId(now, random);
    await validateDependencies(this.deps.jobs, tenant, jobId, definition);
    await reserveJobPlace(this.deps.policy, this.deps.jobs, tenant, now);
    const stored = { done: false };
    try {
      return await this.storeNewJob(tenant, jobId, definition, now, async (job) => {
        await this.deps.jobs.createJob(job, now);
        stored.done = true;
      });
    } catch (error) {
      if (!stored.done) await releaseJobPlace(this.deps.policy, tenant);
      throw error;
    }
  }

  /**
   * The new job, placed by its first run: waiting on the due index, or — a first run within the
   * look-ahead — stored already advanced with its runs handed over at once, not at the next tick.
   */
  private async storeNewJob(
    tenant: string,
    jobId: string,
    definition: JobDefinition,
    now: number,
    insert: (job: JobRecord) => Promise<void>,
  ): Promise<JobRecord> {
    // Edges first: one left behind by a failed create points at no job and is ignored, whereas a
    // job stored without its edges would silently never run after its upstreams.
    await syncDependencyEdges(this.deps.dependencyEdges, jobId, [], definition.dependsOn);
    const anchorAt = rateAnchorFor(definition.schedule, now);
    const created = iso(now);
    const base: JobRecord = {
      ...definition,
      jobId,
      tenant,
      status: 'active',
      version: 1,
      shard: shardOf(jobId, this.deps.settings.shards),
      createdAt: created,
      updatedAt: created,
      ...(anchorAt === undefined ? {} : { anchorAt: iso(anchorAt) }),
    };
    const first = firstRunAt(definition.schedule, now, anchorAt);
    // validateSchedule refuses a schedule without a run: no job is stored finished before it started.
    // A dependency schedule has none, yet is active: it runs whenever its upstreams call for it.
    if (first === null && definition.schedule.type !== 'dependency') {
      throw new InvalidSchedule('the schedule has no run after now', NO_FUTURE_RUN);
    }
    const placed = this.place(base, first, now);
    await insert(placed.job);
    return this.handOverPlaced(placed, now);
  }

  private place(job: JobRecord, first: number | null, now: number): Placement {
    const { lookaheadMs, ahead } = planReach(this.deps.settings);
    return placement(job, first, now, lookaheadMs, ahead);
  }

  /** After the write: the placed job's runs handed over; if the queue refuses them, it waits at its first run. */
  private async handOverPlaced(placed: Placement, now: number): Promise<JobRecord> {
    const { job, first, plan } = placed;
    if (!plan || first === null) return job;
    const plannedFrom = { ...job, nextRunAt: iso(first) };
    const fallBack = { kind: 'due-index', written: job, firstRun: first } as const;
    return (await handOver(this.deps, plannedFrom, plan, now, fallBack)).job ?? job;
  }

  /**
   * Read-modify-write with the store's version condition; `change` returns the new job or null
   * for "nothing to do". A race with the watcher's advance is retried on a fresh read.
   */
  async updateJob(
    tenant: string,
    jobId: string,
    change: (current: JobRecord, now: number) => JobRecord | null,
    expectedVersion?: number,
  ): Promise<JobRecord> {
    for (let race = 0; ; race++) {
      const current = await tenantJob(this.deps.jobs, tenant, jobId);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new VersionConflict(`job ${jobId} is at version ${current.version}, not ${expectedVersion}`);
      }
      const now = this.deps.clock.now();
      const next = change(current, now);
      if (next === null) return current;
      const updated: JobRecord = { ...next, version: current.version + 1, updatedAt: iso(now) };
      try {
        const expected = { version: current.version, nextRunAt: current.nextRunAt };
        await this.deps.jobs.replaceJob(updated, expected, now);
        return updated;
      } catch (error) {
        if (!(error instanceof ConditionFailed) || race >= MAX_WRITE_RACES) throw error;
      }
    }
  }

  /**
   * DELETE: no further runs; queued runs are dropped and a running call is aborted. Repeatable;
   * only at a version `If-Match` names (412), like PATCH, pause and resume.
   */
  async cancelJob(tenant: string, jobId: string, match?: VersionMatch): Promise<JobRecord> {
    let cancelledNow = false;
    const job = await this.updateJob(tenant, jobId, (current) => {
      cancelledNow = false;
      checkVersion(current, match);
      if (current.status === 'cancelled') return null;
      if (isJobFinished(current.status)) {
        throw new InvalidState(`job ${jobId} is already ${current.status}`);
      }
      cancelledNow = true;
      return withNewPlan(withStatus(withNextRun(current, null), 'cancelled'));
    });
    if (cancelledNow) await releaseJobPlace(this.deps.policy, tenant);
    await this.executions.cancelInFlight(job);
    return job;
  }

  /** POST /v1/jobs/{id}/trigger: one run now, outside the schedule. */
  async triggerJob(tenant: string, jobId: string): Promise<ExecutionRecord> {
    const job = await tenantJob(this.deps.jobs, tenant, jobId);
    if (isJobFinished(job.status))
      throw new InvalidState(`job ${jobId} is ${job.status}; it cannot be triggered`);
    return queueOneOffRun(this.deps, job, 'manual', this.deps.clock.now());
  }

  /**
   * PATCH /v1/jobs/{id}: replaces the given fields, only at a version `If-Match` names (412).
   * A schedule change on an active job recomputes its next run from now and moves it along the
   * `due` index in the same conditional write (a first run within the look-ahead is sent at once, as
   * on create); it starts a new plan, so runs already queued for the old schedule are dropped by the
   * executor (isRunOfCurrentPlan). A paused job keeps its new schedule until resumed. Finished jobs: 409.
   */
  async patchJob(tenant: string, jobId: string, patch: JobPatch, match?: VersionMatch): Promise<JobRecord> {
    if (patch.schedule) validateSchedule(patch.schedule, this.deps.clock.now());
    await this.checkPatch(tenant, jobId, patch);
    const staged: { placement?: Placement; previous?: JobRecord; now: number } = { now: 0 };
    const job = await this.updateJob(tenant, jobId, (current, now) => {
      assertChangeable(current, 'changed');
      checkVersion(current, match);
      Object.assign(staged, { previous: current, now, placement: undefined });
      const { job: patched, changed } = applyJobPatch(current, withStoredCredentials(patch, current));
      if (changed.size === 0) return null;
      if (!changed.has('schedule')) return patched;
      const rescheduled = withNewPlan(withScheduleChange(patched, now));
      if (current.status !== 'active') return rescheduled;
      const first = firstRunAt(rescheduled.schedule, now, anchorOf(rescheduled));
      if (first === null && rescheduled.schedule.type !== 'dependency') {
        throw new InvalidSchedule('the new schedule has no run after now', NO_FUTURE_RUN);
      }
      staged.placement = this.place(rescheduled, first, now);
      return staged.placement.job;
    });
    if (patch.dependsOn !== undefined && staged.previous)
      await syncDependencyEdges(this.deps.dependencyEdges, jobId, staged.previous.dependsOn, job.dependsOn);
    return staged.placement ? this.handOverPlaced({ ...staged.placement, job }, staged.now) : job;
  }

  /** What a PATCH may not do, checked before any write: a finished job, a refused target, bad dependencies. */
  private async checkPatch(tenant: string, jobId: string, patch: JobPatch): Promise<void> {
    const before = await tenantJob(this.deps.jobs, tenant, jobId);
    assertChangeable(before, 'changed');
    if (patch.target !== undefined || patch.notifications !== undefined) {
      assertTargetsAllowed(
        {
          target: patch.target ?? before.target,
          notifications: patch.notifications ?? before.notifications,
        },
        this.deps.policy ?? DEFAULT_POLICY,
      );
    }
    if (patch.dependsOn !== undefined || patch.schedule !== undefined) {
      await validateDependencies(this.deps.jobs, tenant, jobId, {
        dependsOn: patch.dependsOn ?? before.dependsOn,
        schedule: patch.schedule ?? before.schedule,
      });
    }
  }

  /**
   * POST /v1/jobs/{id}/pause: takes the job off the `due` index and starts a new plan; runs already
   * queued are dropped by the executor (now and after a resume), a run in flight (and its retries)
   * finishes. Pausing a paused job changes nothing.
   */
  pauseJob(tenant: string, jobId: string, match?: VersionMatch): Promise<JobRecord> {
    return this.updateJob(tenant, jobId, (current, now) => {
      assertChangeable(current, 'paused');
      checkVersion(current, match);
      if (current.status === 'paused') return null;
      return withNewPlan({ ...withStatus(withNextRun(current, null), 'paused'), pausedAt: iso(now) });
    });
  }

  /**
   * POST /v1/jobs/{id}/resume: puts the job back on its schedule from the pause on, so the runs
   * missed while paused meet the misfire policy at once (skip records them skipped, run_once runs
   * the latest, catch_up each up to 100); a one-time job whose run is still owed runs (or is
   * skipped) the same way. Resuming an active job changes nothing.
   */
  async resumeJob(tenant: string, jobId: string, match?: VersionMatch): Promise<JobRecord> {
    const before = await tenantJob(this.deps.jobs, tenant, jobId);
    const oneTime = oneTimeRunAt(before);
    // Read first: the run of a one-time job may have finished while it was paused.
    const oneTimeRun =
      oneTime === null ? null : await this.deps.executions.getExecution(executionIdFor(jobId, iso(oneTime)));
    const staged: { placement?: Placement; now: number } = { now: 0 };
    const job = await this.updateJob(tenant, jobId, (current, now) => {
      assertChangeable(current, 'resumed');
      checkVersion(current, match);
      staged.placement = undefined;
      staged.now = now;
      if (current.status === 'active') return null;
      const { pausedAt: _p, enqueuedThrough: _e, ...rest } = current;
      const resumed = withNewPlan(withStatus(withNextRun(rest, null), 'active'));
      const ended = resumedEnd(resumed, current, oneTime, oneTimeRun);
      if (ended) return ended;
      const first = oneTime ?? nextRunAfter(current.schedule, missedSince(current) - 1, anchorOf(current));
      staged.placement = this.place(resumed, first, now);
      return staged.placement.job;
    });
    return staged.placement ? this.handOverPlaced({ ...staged.placement, job }, staged.now) : job;
  }
}

/** A target sent back as it was read shows `***` for credentials: those keep their stored values. */
function withStoredCredentials(patch: JobPatch, current: JobRecord): JobPatch {
  if (patch.target?.type !== 'http') return patch;
  const stored = current.target.type === 'http' ? current.target.headers : {};
  return {
    ...patch,
    target: { ...patch.target, headers: restoreRedactedHeaders(patch.target.headers, stored) },
  };
}

/**
 * A resumed job that needs no placement, or null: a dependency job (it waits for its upstreams), a
 * one-time job whose run ended (or is still in flight: its executor ends the job) while it was
 * paused, a schedule whose window closed meanwhile.
 */
function resumedEnd(
  resumed: JobRecord,
  paused: JobRecord,
  oneTime: number | null,
  oneTimeRun: ExecutionRecord | null,
): JobRecord | null {
  if (oneTime !== null) {
    if (!oneTimeRun) return null;
    if (!isFinal(oneTimeRun.status)) return { ...resumed, enqueuedThrough: oneTimeRun.scheduledAt };
    const ok = oneTimeRun.status === 'succeeded' || oneTimeRun.status === 'skipped';
    return { ...withStatus(resumed, ok ? 'completed' : 'failed'), enqueuedThrough: oneTimeRun.scheduledAt };
  }
  if (paused.schedule.type === 'dependency') return resumed;
  const first = nextRunAfter(paused.schedule, missedSince(paused) - 1, anchorOf(paused));
  return first === null ? withStatus(resumed, 'completed') : null; // its window closed while paused
}
