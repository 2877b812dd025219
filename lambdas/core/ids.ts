import { ulid } from 'ulid';

/** A new sortable job id; `now` and `random` are injected so tests are deterministic. */
export function newJobId(now: number, random: () => number): string {
  return `job_${ulid(now, random)}`;
}

/** One execution per job and scheduled instant: redeliveries of the same run share the id. */
export function executionIdFor(jobId: string, scheduledAtIso: string): string {
  return `${jobId}:${scheduledAtIso}`;
}

/** The job and scheduled instant an execution id names, or null for an id that is not `<jobId>:<ISO instant>`. */
export function scheduledRunOf(executionId: string): { jobId: string; scheduledAt: string } | null {
  const at = executionId.indexOf(':');
  if (at <= 0) return null;
  const jobId = executionId.slice(0, at);
  const scheduledAt = executionId.slice(at + 1);
  if (executionIdFor(jobId, scheduledAt) !== executionId || Number.isNaN(Date.parse(scheduledAt)))
    return null;
  return { jobId, scheduledAt };
}

/** A lease owner name unique enough to tell two executors apart. */
export function newOwnerId(random: () => number): string {
  return `exec-${Math.floor(random() * 2 ** 48).toString(36)}`;
}
