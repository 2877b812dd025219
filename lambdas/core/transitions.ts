import type { ExecutionStatus, JobStatus } from '../../schemas/job.js';

const FINAL: ReadonlySet<ExecutionStatus> = new Set([
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'dead',
  'skipped',
]);

export function isFinal(status: ExecutionStatus): boolean {
  return FINAL.has(status);
}

const EXECUTION_TRANSITIONS: Record<ExecutionStatus, readonly ExecutionStatus[]> = {
  queued: ['running', 'cancelled', 'skipped'],
  running: ['succeeded', 'failed', 'timed_out', 'cancelled', 'dead', 'queued', 'running'],
  succeeded: [],
  failed: ['queued'], // replay
  timed_out: ['queued'], // replay
  cancelled: [],
  dead: ['queued'], // replay
  skipped: [],
};

export function canTransitionExecution(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return EXECUTION_TRANSITIONS[from].includes(to);
}

const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  active: ['paused', 'completed', 'failed', 'cancelled'],
  paused: ['active', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

export function canTransitionJob(from: JobStatus, to: JobStatus): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** Jobs in these states take no PATCH and run no more. */
export function isJobFinished(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
