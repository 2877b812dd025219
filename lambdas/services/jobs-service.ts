import type { Job, JobDefinition, JobPatch, JobStatus, Schedule } from '../../schemas/job.js';
import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import { shardOf } from '../core/buckets.js';
import {
  ConditionFailed,
  ExecutionNotFound,
  InvalidSchedule,
  InvalidState,
  JobNotFound,
  VersionConflict,
} from '../core/errors.js';
import { executionIdFor, newJobId } from '../core/ids.js';
import { anchorOf, scheduleOf, withNextRun } from '../core/job-schedule.js';
import {
  applyJobPatch,
  checkVersion,
  missedSince,
  oneTimeRunAt,
  type VersionMatch,
  withNewPlan,
  withScheduleChange,
} from '../core/lifecycle.js';
import { type DuePlan, planDueRuns } from '../core/misfire.js';
import type { ExecutionFilter } from '../core/ports/execution-store.js';
import type { Page } from '../core/ports/page.js';
import { restoreRedactedHeaders } from '../core/redaction.js';
import { firstRunAt, nextRunAfter, rateAnchorFor, upcomingRuns, validateSchedule } from '../core/schedule.js';
import { iso, ms } from '../core/time.js';
import { isFinal, isJobFinished } from '../core/transitions.js';
import { syncDependencyEdges, validateDependencies } from './dependencies.js';
import { emit, type ServiceDeps } from './deps.js';
import { findExecution, listJobHistory } from './history-reads.js';
import {
  finalized,
  newExecution,
  outgoing,
  pendingFields,
  REAP_SLACK_MS,
  recordSkippedRuns,
  runMessage,
} from './runs.js';
import { assertTargetsAllowed, DEFAULT_POLICY, releaseJobPlace, reserveJobPlace } from './tenant-policy.js';
import { jobView } from './views.js';

const MAX_WRITE_RACES = 5;

/** Job operations behind the API: create, read, list, cancel, trigger, and execution reads. */
export class JobsService {
  constructor(private readonly deps: ServiceDeps) {}

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

  private async storeNewJob(
    tenant: string,
    jobId: string,
    definition: JobDefinition,
    now: number,
    insert: (job: JobRecord) => Promise<void>,
  ): Promise<JobRecord> {
    const { settings } = this.deps;
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
      shard: shardOf(jobId, settings.shards),
      createdAt: created,
      updatedAt: created,
      ...(anchorAt === undefined ? {} : { anchorAt: iso(anchorAt) }),
    };
    const first = firstRunAt(definition.schedule, now, anchorAt);
    if (first === null && definition.schedule.type === 'dependency') {
      // No time-based runs, yet active: it runs whenever its upstreams call for it.
      await insert(base);
      return base;
    }
    if (first === null) {
      // validateSchedule refuses a schedule without a run: no job is stored finished before it started.
      throw new InvalidSchedule('the schedule has no run after now', [
        { path: 'schedule', message: 'has no future run' },
      ]);
    }
    if (first > now + settings.lookaheadSeconds * 1000) {
      const job = withNextRun(base, first);
      await insert(job);
      return job;
    }
    return this.createOnFastPath(base, first, now, insert);
  }

  /**
   * A first run inside the look-ahead is enqueued here rather than waiting for a watcher tick.
   * The job is stored already advanced, then the runs are sent; if sending fails the job is put
   * back on the `due` index so the watcher sends them instead.
   */
  private async createOnFastPath(
    base: JobRecord,
    first: number,
    now: number,
    insert: (job: JobRecord) => Promise<void>,
  ): Promise<JobRecord> {
    const plan = planDueRuns(
      { ...scheduleOf(base), nextRunAt: first },
      now,
      this.deps.settings.lookaheadSeconds * 1000,
    );
    const last = plan.runs.at(-1);
    const advanced: JobRecord = {
      ...withNextRun(base, plan.nextRunAt),
      ...(last ? { enqueuedThrough: iso(last.scheduledAt) } : {}),
    };
    await insert(advanced);
    const runs = plan.runs.map((run) =>
      outgoing(advanced, runMessage(advanced, iso(run.scheduledAt), 'schedule'), run.scheduledAt, now),
    );
    try {
      await this.deps.queue.send(runs);
      return advanced;
    } catch (error) {
      this.deps.log.error('fast path enqueue failed; leaving the runs to the watcher', {
        jobId: base.jobId,
        error,
      });
      const { enqueuedThrough: _e, ...rest } = advanced;
      const fallback = withNextRun(rest, first);
      await this.deps.jobs.replaceJob(
        fallback,
        { version: advanced.version, nextRunAt: advanced.nextRunAt },
        now,
      );
      return fallback;
    }
  }

  /** The tenant's job, or JobNotFound (another tenant's job is indistinguishable from none). */
  async getJob(tenant: string, jobId: string): Promise<JobRecord> {
    const job = await this.deps.jobs.getJob(jobId);
    if (!job || job.tenant !== tenant) throw new JobNotFound(jobId);
    return job;
  }

  async lastRunOf(jobId: string): Promise<ExecutionRecord | null> {
    const page = await this.deps.executions.listByJob(jobId, {}, 1);
    return page.items[0] ?? null;
  }

  /** The public resource of a job: its last run, and the next run as a user would count it. */
  async view(job: JobRecord): Promise<Job> {
    return jobView(job, await this.lastRunOf(job.jobId), this.deps.clock.now());
  }

  listJobs(
    tenant: string,
    filter: { status?: JobStatus; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobRecord>> {
    return this.deps.jobs.listJobs(tenant, filter, limit, cursor);
  }

  /**
   * DELETE: no further runs; queued runs are dropped and a running call is aborted. Repeatable;
   * only at a version `If-Match` names (412), like PATCH, pause and resume.
   */
  async cancelJob(tenant: string, jobId: string, match?: VersionMatch): Promise<JobRecord> {
    let cancelledNow = false;
    const job = await this.updateJob(tenant, jobId, (current, _now) => {
      cancelledNow = false;
      checkVersion(current, match);
      if (current.status === 'cancelled') return null;
      if (isJobFinished(current.status)) {
        throw new InvalidState(`job ${jobId} is already ${current.status}`);
      }
      cancelledNow = true;
      return withNewPlan({ ...withNextRun(current, null), status: 'cancelled' as const });
    });
    if (cancelledNow) await releaseJobPlace(this.deps.policy, tenant);
    await this.cancelInFlight(job);
    return job;
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
      const current = await this.getJob(tenant, jobId);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new VersionConflict(`job ${jobId} is at version ${current.version}, not ${expectedVersion}`);
      }
      const now = this.deps.clock.now();
      const next = change(current, now);
      if (next === null) return current;
      const updated: JobRecord = { ...next, version: current.version + 1, updatedAt: iso(now) };
      try {
        await this.deps.jobs.replaceJob(
          updated,
          { version: current.version, nextRunAt: current.nextRunAt },
          now,
        );
        return updated;
      } catch (error) {
        if (!(error instanceof ConditionFailed) || race >= MAX_WRITE_RACES) throw error;
      }
    }
  }

  private async cancelInFlight(job: JobRecord): Promise<void> {
    const pending = await this.deps.executions.queryPending(job.shard, '9999', 100, { jobId: job.jobId });
    await Promise.all(pending.items.map((execution) => this.requestCancel(execution).catch(() => undefined)));
  }

  /** POST /v1/jobs/{id}/trigger: one run now, outside the schedule. */
  async triggerJob(tenant: string, jobId: string): Promise<ExecutionRecord> {
    const job = await this.getJob(tenant, jobId);
    if (isJobFinished(job.status))
      throw new InvalidState(`job ${jobId} is ${job.status}; it cannot be triggered`);
    const { clock, settings } = this.deps;
    let now = clock.now();
    let execution = newExecution(job, iso(now), 'manual', 'queued', now, settings.hotRetentionSeconds);
    // Two triggers in the same millisecond would share an id; the second takes the next millisecond.
    while (!(await this.deps.executions.createExecution(execution))) {
      now += 1;
      execution = newExecution(job, iso(now), 'manual', 'queued', now, settings.hotRetentionSeconds);
    }
    try {
      await this.deps.queue.send([outgoing(job, runMessage(job, execution.scheduledAt, 'manual'), now, now)]);
    } catch (error) {
      // The execution stays on the `pending` index; the watcher's reaper sends it.
      this.deps.log.error('trigger enqueue failed; the reaper will resend', { jobId, error });
    }
    return execution;
  }

  /** An execution past the hot window is read from the archive (one LIST and its date's GETs in S3). */
  async getExecution(tenant: string, executionId: string): Promise<ExecutionRecord> {
    const execution = await findExecution(this.deps, tenant, executionId);
    if (!execution) throw new ExecutionNotFound(executionId);
    return execution;
  }

  async listExecutions(
    tenant: string,
    jobId: string,
    filter: ExecutionFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<ExecutionRecord>> {
    await this.getJob(tenant, jobId);
    return listJobHistory(this.deps, tenant, jobId, filter, limit, cursor);
  }

  /** POST /v1/executions/{id}/cancel: a queued run is cancelled at once, a running call is aborted by its executor. */
  async cancelExecution(tenant: string, executionId: string): Promise<ExecutionRecord> {
    let execution = await this.deps.executions.getExecution(executionId);
    if (execution && execution.tenant !== tenant) throw new ExecutionNotFound(executionId);
    if (!execution) {
      // A scheduled run on the queue has no record until it is claimed: record it cancelled so the claim refuses it.
      const jobId = executionId.slice(0, executionId.indexOf(':'));
      const job = await this.getJob(tenant, jobId).catch(() => {
        throw new ExecutionNotFound(executionId);
      });
      const scheduledAt = executionId.slice(jobId.length + 1);
      if (executionIdFor(jobId, scheduledAt) !== executionId || Number.isNaN(Date.parse(scheduledAt))) {
        throw new ExecutionNotFound(executionId);
      }
      if (!job.enqueuedThrough || ms(scheduledAt) > ms(job.enqueuedThrough))
        throw new ExecutionNotFound(executionId);
      const now = this.deps.clock.now();
      const cancelled = newExecution(
        job,
        scheduledAt,
        'schedule',
        'cancelled',
        now,
        this.deps.settings.hotRetentionSeconds,
        'cancelled before it ran',
      );
      if (await this.deps.executions.createExecution(cancelled)) {
        await emit(this.deps, (events) => events.finished(job, cancelled));
        return cancelled;
      }
      execution = await this.getExecution(tenant, executionId);
    }
    if (isFinal(execution.status)) {
      throw new InvalidState(`execution ${executionId} is already ${execution.status}`);
    }
    return this.requestCancel(execution);
  }

  /**
   * A queued run, or one an async target holds, is cancelled at once (no executor is on it);
   * a call in flight gets a cancel request that its executor sees within a second and aborts.
   */
  private async requestCancel(execution: ExecutionRecord): Promise<ExecutionRecord> {
    const now = this.deps.clock.now();
    const immediate = execution.status === 'queued' || execution.awaitingCallback === true;
    const next: ExecutionRecord = immediate
      ? {
          ...finalized(execution, 'cancelled', now, this.deps.settings.hotRetentionSeconds),
          reason: 'cancelled',
        }
      : { ...execution, rev: execution.rev + 1, cancelRequestedAt: iso(now) };
    if (!(await this.deps.executions.requestCancel(next, execution.rev))) {
      throw new ConditionFailed(`execution ${execution.executionId} changed concurrently`);
    }
    if (immediate) {
      const job = await this.deps.jobs.getJob(execution.jobId);
      if (job?.concurrency) await this.deps.slots.releaseSlot(job.jobId, execution.executionId);
      // No executor will finish this one: the `cancelled` notification is ours to raise.
      if (job) await emit(this.deps, (events) => events.finished(job, next));
    }
    return next;
  }

  /** GET /v1/dead-letters: executions that exhausted their retries, newest first. */
  listDeadLetters(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionRecord>> {
    return this.deps.executions.listDead(tenant, limit, cursor);
  }

  /** POST /v1/dead-letters/{id}/replay: runs a dead execution again with a fresh retry budget. */
  async replayDeadLetter(tenant: string, executionId: string): Promise<ExecutionRecord> {
    const execution = await this.getExecution(tenant, executionId);
    if (execution.status !== 'dead') {
      throw new InvalidState(
        `execution ${executionId} is ${execution.status}; only dead executions can be replayed`,
      );
    }
    const job = await this.getJob(tenant, execution.jobId);
    if (job.status === 'cancelled')
      throw new InvalidState(`job ${job.jobId} is cancelled; its runs cannot be replayed`);
    const now = this.deps.clock.now();
    const { finishedAt: _f, expiresAt: _e, ...rest } = execution;
    const replayed: ExecutionRecord = {
      ...rest,
      status: 'queued',
      rev: execution.rev + 1,
      attemptBase: execution.attempts.length,
      replayedAt: iso(now),
      nextAttemptAt: iso(now),
      ...pendingFields(job, now + REAP_SLACK_MS),
    };
    if (!(await this.deps.executions.replay(replayed, execution.rev))) {
      throw new ConditionFailed(`execution ${executionId} changed concurrently`);
    }
    const message = runMessage(job, execution.scheduledAt, 'replay', execution.attempts.length + 1);
    await this.deps.queue.send([outgoing(job, message, now, now)]).catch((error) => {
      this.deps.log.error('replay enqueue failed; the reaper will resend', {
        executionId,
        error: String(error),
      });
    });
    return replayed;
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
    const before = await this.getJob(tenant, jobId);
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
    const staged: { placement?: Placement; previous: JobRecord; now: number } = { previous: before, now: 0 };
    const job = await this.updateJob(tenant, jobId, (current, now) => {
      assertChangeable(current, 'changed');
      checkVersion(current, match);
      staged.previous = current;
      staged.now = now;
      staged.placement = undefined;
      // A target sent back as it was read shows `***` for credentials: those keep their stored values.
      const incoming =
        patch.target?.type === 'http'
          ? {
              ...patch,
              target: {
                ...patch.target,
                headers: restoreRedactedHeaders(
                  patch.target.headers,
                  current.target.type === 'http' ? current.target.headers : {},
                ),
              },
            }
          : patch;
      const { job: patched, changed } = applyJobPatch(current, incoming);
      if (changed.size === 0) return null;
      if (!changed.has('schedule')) return patched;
      const rescheduled = withNewPlan(withScheduleChange(patched, now));
      if (current.status !== 'active') return rescheduled;
      const first = firstRunAt(rescheduled.schedule, now, anchorOf(rescheduled));
      if (first === null && rescheduled.schedule.type !== 'dependency') {
        throw new InvalidSchedule('the new schedule has no run after now', [
          { path: 'schedule', message: 'has no future run' },
        ]);
      }
      staged.placement = this.place(rescheduled, first, now);
      return staged.placement.job;
    });
    if (patch.dependsOn !== undefined)
      await syncDependencyEdges(this.deps.dependencyEdges, jobId, staged.previous.dependsOn, job.dependsOn);
    return staged.placement ? this.dispatch(job, staged.placement, staged.now) : job;
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
      return withNewPlan({
        ...withNextRun(current, null),
        status: 'paused' as const,
        pausedAt: iso(now),
      });
    });
  }

  /**
   * POST /v1/jobs/{id}/resume: puts the job back on its schedule from the pause on, so the runs
   * missed while paused meet the misfire policy at once (skip records them skipped, run_once runs
   * the latest, catch_up each up to 100); a one-time job whose run is still owed runs (or is
   * skipped) the same way. Resuming an active job changes nothing.
   */
  async resumeJob(tenant: string, jobId: string, match?: VersionMatch): Promise<JobRecord> {
    const before = await this.getJob(tenant, jobId);
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
      const resumed: JobRecord = withNewPlan({ ...withNextRun(rest, null), status: 'active' as const });
      if (oneTime !== null) {
        if (oneTimeRun && isFinal(oneTimeRun.status)) {
          const ok = oneTimeRun.status === 'succeeded' || oneTimeRun.status === 'skipped';
          return { ...resumed, status: ok ? 'completed' : 'failed', enqueuedThrough: oneTimeRun.scheduledAt };
        }
        // Still in flight: its executor completes the job when it finishes.
        if (oneTimeRun) return { ...resumed, enqueuedThrough: oneTimeRun.scheduledAt };
        staged.placement = this.place(resumed, oneTime, now);
        return staged.placement.job;
      }
      if (current.schedule.type === 'dependency') return resumed;
      const first = nextRunAfter(current.schedule, missedSince(current) - 1, anchorOf(current));
      if (first === null) return { ...resumed, status: 'completed' }; // its window closed while paused
      staged.placement = this.place(resumed, first, now);
      return staged.placement.job;
    });
    return staged.placement ? this.dispatch(job, staged.placement, staged.now) : job;
  }

  /**
   * Where a (re)scheduled job goes: a first run beyond the look-ahead waits on the `due` index; one
   * within it, or already missed, is planned now under the misfire policy and the job is stored
   * already advanced — the same plan the watcher would make, without waiting for its tick.
   */
  private place(job: JobRecord, first: number | null, now: number): Placement {
    const lookaheadMs = this.deps.settings.lookaheadSeconds * 1000;
    if (first === null || first > now + lookaheadMs) {
      return { job: withNextRun(job, first), first, plan: null };
    }
    const plan = planDueRuns({ ...scheduleOf(job), nextRunAt: first }, now, lookaheadMs);
    const last = plan.runs.at(-1);
    const ended = plan.nextRunAt === null && plan.runs.length === 0;
    return {
      job: {
        ...withNextRun(job, plan.nextRunAt),
        ...(last ? { enqueuedThrough: iso(last.scheduledAt) } : {}),
        ...(ended ? { status: 'completed' as const } : {}),
      },
      first,
      plan,
    };
  }

  /**
   * After the write: records the plan's skipped runs and sends its runs. If sending fails, the job
   * goes back on the `due` index at its first run, and the watcher sends them instead.
   */
  private async dispatch(job: JobRecord, placement: Placement, now: number): Promise<JobRecord> {
    const { plan, first } = placement;
    if (!plan) return job;
    // The `missed` digest re-plans from the next run this plan started at, as a watcher tick would.
    await this.recordMissed(first === null ? job : { ...job, nextRunAt: iso(first) }, plan, now);
    if (plan.runs.length === 0) return job;
    const runs = plan.runs.map((run) =>
      outgoing(
        job,
        runMessage(job, iso(run.scheduledAt), 'schedule', 1, run.lateAccepted),
        run.scheduledAt,
        now,
      ),
    );
    try {
      await this.deps.queue.send(runs);
      return job;
    } catch (error) {
      this.deps.log.error('enqueue after reschedule failed; leaving the runs to the watcher', {
        jobId: job.jobId,
        error: String(error),
      });
      const { enqueuedThrough: _e, ...rest } = job;
      const fallback = withNextRun(rest, first);
      try {
        await this.deps.jobs.replaceJob(fallback, { version: job.version, nextRunAt: job.nextRunAt }, now);
        return fallback;
      } catch (raced) {
        if (!(raced instanceof ConditionFailed)) throw raced;
        return job; // changed again meanwhile; that write placed it
      }
    }
  }

  /** Missed runs the policy drops become `skipped` executions, as the watcher records them. */
  private async recordMissed(job: JobRecord, plan: DuePlan, now: number): Promise<void> {
    await recordSkippedRuns(this.deps, job, plan, now);
  }

  /** POST /v1/schedules/preview. */
  previewSchedule(schedule: Schedule, from: number | undefined, count: number): number[] {
    const now = this.deps.clock.now();
    validateSchedule(schedule, now);
    const start = from ?? now;
    return upcomingRuns(schedule, start, count, rateAnchorFor(schedule, start));
  }
}

/** A job being (re)scheduled: the job as it will be written, and the runs to send once it is. */
interface Placement {
  job: JobRecord;
  first: number | null;
  plan: DuePlan | null;
}

/** Finished jobs (cancelled, completed, failed) take no PATCH, pause or resume: 409. */
function assertChangeable(job: JobRecord, what: 'changed' | 'paused' | 'resumed'): void {
  if (isJobFinished(job.status)) {
    throw new InvalidState(`job ${job.jobId} is ${job.status}; it cannot be ${what}`);
  }
}
