import type { Job, JobStatus, Schedule } from '../../../schemas/job.js';
import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { ExecutionNotFound, JobNotFound } from '../../core/errors.js';
import type { ExecutionFilter } from '../../core/ports/execution-store.js';
import type { JobStore } from '../../core/ports/job-store.js';
import type { Page } from '../../core/ports/page.js';
import { rateAnchorFor, upcomingRuns, validateSchedule } from '../../core/schedule.js';
import { findExecution, listJobHistory } from '../history/history-reads.js';
import type { ServiceDeps } from '../service-deps.js';
import { jobView } from '../views.js';

/** The tenant's job, or JobNotFound (another tenant's job is indistinguishable from none). */
export async function tenantJob(jobs: JobStore, tenant: string, jobId: string): Promise<JobRecord> {
  const job = await jobs.getJob(jobId);
  if (!job || job.tenant !== tenant) throw new JobNotFound(jobId);
  return job;
}

/** What the API reads: jobs, their public view and history, dead letters, schedule previews. */
export class QueryService {
  constructor(private readonly deps: ServiceDeps) {}

  getJob(tenant: string, jobId: string): Promise<JobRecord> {
    return tenantJob(this.deps.jobs, tenant, jobId);
  }

  async lastRunOf(jobId: string): Promise<ExecutionRecord | null> {
    const page = await this.deps.executions.listByJob(jobId, {}, 1);
    return page.items[0] ?? null;
  }

  /** The public resource of a job: its last run, and the next run as a user would count it. */
  async view(job: JobRecord): Promise<Job> {
    return jobView(job, await this.lastRunOf(job.jobId), this.deps.clock.now());
  }

  /** The view of a job just created: its id is new, so it has no run to look for (one Query less per create). */
  newJobView(job: JobRecord): Job {
    return jobView(job, null, this.deps.clock.now());
  }

  listJobs(
    tenant: string,
    filter: { status?: JobStatus; namePrefix?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobRecord>> {
    return this.deps.jobs.listJobs(tenant, filter, limit, cursor);
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

  /** GET /v1/dead-letters: executions that exhausted their retries, newest first. */
  listDeadLetters(tenant: string, limit: number, cursor?: string): Promise<Page<ExecutionRecord>> {
    return this.deps.executions.listDead(tenant, limit, cursor);
  }

  /** POST /v1/schedules/preview. */
  previewSchedule(schedule: Schedule, from: number | undefined, count: number): number[] {
    const now = this.deps.clock.now();
    validateSchedule(schedule, now);
    const start = from ?? now;
    return upcomingRuns(schedule, start, count, rateAnchorFor(schedule, start));
  }
}
