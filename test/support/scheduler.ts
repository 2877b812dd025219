import type { Logger } from '../../lambdas/core/ports/logger.js';
import type { NotificationQueue } from '../../lambdas/core/ports/notification-queue.js';
import { withExecutionListeners } from '../../lambdas/services/execution-listeners.js';
import { CallbackService } from '../../lambdas/services/executor/callback-service.js';
import { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { ExecutionService } from '../../lambdas/services/jobs/execution-service.js';
import { JobService } from '../../lambdas/services/jobs/job-service.js';
import { QueryService } from '../../lambdas/services/jobs/query-service.js';
import { WatcherService } from '../../lambdas/services/watcher/watcher-service.js';
import { CreateJobBody, type JobDefinition, PatchJobBody } from '../../schemas/job.js';
import type { RunMessage } from '../../schemas/messages.js';
import type { MemoryJobStore } from './memory.js';
import { fakeDeps } from './services.js';

/** The instant service-level tests start at (their fake clock moves from here). */
export const NOW = Date.parse('2026-05-01T12:00:00.000Z');

/** A job definition as the API would accept it: an HTTP target and every default, with `overrides` on top. */
export function jobBody(overrides: Record<string, unknown> = {}): JobDefinition {
  return CreateJobBody.parse({ target: { url: 'https://example.com/hook' }, ...overrides });
}

export interface SetupOptions {
  now?: number;
  log?: Logger;
  /** Attach the execution listeners (dependencies, and notifications when a queue is given). */
  listeners?: boolean;
  notifications?: NotificationQueue;
  /** A job store of the test's own (one that interleaves, or fails on cue) for every port of the Jobs table. */
  jobs?: MemoryJobStore;
}

/**
 * The scheduler's services over the in-memory stores, queue and fake clock: the one setup of the
 * service-level tests. Two executors (owners `exec-a` and `exec-b`) play concurrent deliveries;
 * the callbacks answer as `exec-a`.
 */
export function setup(options: SetupOptions = {}) {
  const f = fakeDeps(options.now ?? NOW, {
    ...(options.log ? { log: options.log } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
  });
  if (options.listeners || options.notifications) withExecutionListeners(f.deps, options.notifications);
  const executor = new ExecutorService(f.deps, 'exec-a');
  return {
    ...f,
    jobService: new JobService(f.deps),
    queries: new QueryService(f.deps),
    executionService: new ExecutionService(f.deps),
    executor,
    otherExecutor: new ExecutorService(f.deps, 'exec-b'),
    callbacks: new CallbackService(f.deps, 'exec-a'),
    watcher: new WatcherService(f.deps),
    /** Delivers every queued run message to `exec-a`, as the run queue would, until none is left; returns `<jobId>:<outcome>` of each. */
    drain: async () => {
      const outcomes: string[] = [];
      for (let runs = f.queue.take(); runs.length > 0; runs = f.queue.take()) {
        for (const run of runs) outcomes.push(`${run.message.jobId}:${await executor.handle(run.message)}`);
      }
      return outcomes;
    },
  };
}

export type Scheduler = ReturnType<typeof setup>;

/** A one-time job due at 12:00:01 (`overrides` on top), created now: its run is taken off the queue for the test to deliver. */
export async function onceRun(s: Scheduler, overrides: Record<string, unknown> = {}) {
  const job = await s.jobService.createJob(
    't',
    jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' }, ...overrides }),
  );
  const [run] = s.queue.take();
  return { job, run: run! };
}

/** Lets the executor run until `condition` holds (its fake clock's sleeps yield to setImmediate). */
export async function until(condition: () => boolean) {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition never held');
}

/**
 * Delivers `message` to the executor with its target held open until `answer` (then 200): the call
 * is in flight, so a cancel or a second run meets it there. Resolves once the target was called.
 */
export async function heldCall(s: Scheduler, message: RunMessage) {
  let release: () => void = () => {};
  s.http.answer = () =>
    new Promise((resolve) => {
      release = () => resolve({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    });
  const calls = s.http.requests.length;
  const call = s.executor.handle(message);
  await until(() => s.http.requests.length === calls + 1);
  return { call, answer: () => release() };
}

/** A target's answer that takes the run over: 202 {"async":true}. */
export const asyncAccepted = () => ({
  kind: 'response' as const,
  statusCode: 202,
  body: '{"async":true}',
  durationMs: 2,
});

/** A PATCH body as the API would accept it. */
export const patchOf = (value: Record<string, unknown>) => PatchJobBody.parse(value);

/** A job running every minute from 12:01 (its first two runs are sent at create, the look-ahead being 2 min). */
export async function everyMinute(s: Scheduler, overrides: Record<string, unknown> = {}) {
  const job = await s.jobService.createJob(
    't',
    jobBody({ schedule: { type: 'rate', everySeconds: 60 }, misfireGraceSeconds: 30, ...overrides }),
  );
  s.queue.take();
  return job;
}

/** Every run sent so far: its scheduled instant and whether it was sent as an accepted late run. */
export const sentTimes = (s: Scheduler) =>
  s.queue.sent.map((r) => [r.message.scheduledAt, r.message.lateAccepted === true]);

/** The scheduled instants of a job's runs recorded as skipped, oldest first. */
export async function skippedTimes(s: Scheduler, jobId: string): Promise<string[]> {
  const page = await s.executions.listByJob(jobId, { status: 'skipped' }, 1000);
  return page.items.map((e) => e.scheduledAt).sort();
}
