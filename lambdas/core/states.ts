import { ExecutionStatus, type JobStatus } from '../../schemas/job.js';
import { InvalidState } from './errors.js';

/**
 * The state tables of executions and jobs: every status change the scheduler makes is one of these
 * edges, and the transitions that make them (core/execution/transitions.ts, core/lifecycle.ts)
 * refuse any other with InvalidState.
 */

/** Every status but the two a run passes through: queued and running. */
const FINAL: ReadonlySet<ExecutionStatus> = new Set(ExecutionStatus.exclude(['queued', 'running']).options);

export function isFinal(status: ExecutionStatus): boolean {
  return FINAL.has(status);
}

const EXECUTION_TRANSITIONS: Record<ExecutionStatus, readonly ExecutionStatus[]> = {
  // claimed, cancelled before it ran, skipped (misfire, overlap) when its delivery comes
  queued: ['running', 'cancelled', 'skipped'],
  // an attempt's outcome (final, or queued again for a retry), a cancel; and running → running
  // when the lease moves on (an async target takes the run over, heartbeats) or a cancel is asked
  running: ['succeeded', 'failed', 'timed_out', 'cancelled', 'dead', 'queued', 'running'],
  succeeded: [],
  failed: [],
  timed_out: [],
  cancelled: [],
  // replayed with a fresh retry budget
  dead: ['queued'],
  skipped: [],
};

export function canTransitionExecution(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return EXECUTION_TRANSITIONS[from].includes(to);
}

/** Throws InvalidState unless the execution may go from `from` to `to`. */
export function assertExecutionTransition(
  executionId: string,
  from: ExecutionStatus,
  to: ExecutionStatus,
): void {
  if (!canTransitionExecution(from, to)) {
    throw new InvalidState(`execution ${executionId} is ${from}; it cannot become ${to}`);
  }
}

const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  active: ['paused', 'completed', 'failed', 'cancelled'],
  // resumed; cancelled; or ended at the resume (a one-time job whose run finished meanwhile, a
  // schedule whose window closed while it was paused)
  paused: ['active', 'cancelled', 'completed', 'failed'],
  completed: [],
  failed: [],
  cancelled: [],
};

export function canTransitionJob(from: JobStatus, to: JobStatus): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** Throws InvalidState unless the job may go from `from` to `to` (staying put is no transition). */
export function assertJobTransition(jobId: string, from: JobStatus, to: JobStatus): void {
  if (from !== to && !canTransitionJob(from, to)) {
    throw new InvalidState(`job ${jobId} is ${from}; it cannot become ${to}`);
  }
}

/** Jobs in these states take no PATCH and run no more. */
export function isJobFinished(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
