import type { Subject, SubjectResolver } from './meter.js';

/**
 * Which run or job a stored item or a queue message stands for, read from the data itself so the
 * cost attribution does not depend on how the scheduler's modules are laid out:
 *
 * - an Executions item is a run: its `executionId` attribute, or else its key values joined by `:`
 *   (`jobId:scheduledAt`, the same text as the execution id);
 * - a Jobs item is its job; the job's helper items (`#slots#<job>`, `#dependents#<job>`,
 *   `#upstreams#<job>`) stand for that job, other `#…` items (watermarks, `#ping`) for nothing;
 * - a run message is its `executionId` (or `jobId` + `scheduledAt`).
 *
 * A run's job is its `jobId`, or the execution id up to its first `:`.
 */

/** A marshalled (`{ S: 'x' }`) or plain attribute value as text. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value !== null && typeof value === 'object') {
    const v = value as { S?: unknown; N?: unknown };
    if (typeof v.S === 'string') return v.S;
    if (typeof v.N === 'string') return v.N;
  }
  return undefined;
}

export const jobOfRun = (run: string) => {
  const at = run.indexOf(':');
  return at < 0 ? run : run.slice(0, at);
};

const HELPER = /^#[A-Za-z]+#(.+)$/;
const NOT_A_JOB = /^\d+$/;

export interface TableRoles {
  jobs: string;
  executions: string;
  /** Key attributes of the Executions table, in key order (partition, then sort). */
  executionKey: readonly string[];
}

export function runSubject(item: Record<string, unknown>, key: readonly string[]): Subject | undefined {
  const explicit = text(item.executionId);
  const parts = key.map((name) => text(item[name]));
  const run =
    explicit ?? (parts.length > 0 && parts.every((p) => p !== undefined) ? parts.join(':') : undefined);
  if (run === undefined) return undefined;
  return { run, job: text(item.jobId) ?? jobOfRun(run) };
}

export function jobSubject(item: Record<string, unknown>): Subject | undefined {
  const id = text(item.jobId);
  if (id === undefined) return undefined;
  if (!id.startsWith('#')) return { job: id };
  const helper = HELPER.exec(id)?.[1];
  return helper !== undefined && !NOT_A_JOB.test(helper) ? { job: helper } : undefined;
}

export function messageSubject(body: string): Subject | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (message === null || typeof message !== 'object') return undefined;
  const m = message as Record<string, unknown>;
  const jobId = text(m.jobId);
  const scheduledAt = text(m.scheduledAt);
  const run = text(m.executionId) ?? (jobId && scheduledAt ? `${jobId}:${scheduledAt}` : undefined);
  return run === undefined ? undefined : { run, job: jobId ?? jobOfRun(run) };
}

export function subjectResolver(roles: TableRoles): SubjectResolver {
  return {
    ofItem: (table, item) => {
      if (table === roles.executions) return runSubject(item, roles.executionKey);
      if (table === roles.jobs) return jobSubject(item);
      return undefined;
    },
    ofMessage: messageSubject,
  };
}
