import { ulid } from 'ulid';

/** A new sortable job id; `now` and `random` are injected so tests are deterministic. */
export function newJobId(now: number, random: () => number): string {
  return `job_${ulid(now, random)}`;
}

/** One execution per job and scheduled instant: redeliveries of the same run share the id. */
export function executionIdFor(jobId: string, scheduledAtIso: string): string {
  return `${jobId}:${scheduledAtIso}`;
}

export function jobIdOfExecution(executionId: string): string {
  const at = executionId.indexOf(':');
  return at < 0 ? executionId : executionId.slice(0, at);
}

/** A lease owner name unique enough to tell two executors apart. */
export function newOwnerId(random: () => number): string {
  return `exec-${Math.floor(random() * 2 ** 48).toString(36)}`;
}
