import type { RunMessage } from '../../../schemas/messages.js';
import type { JobRecord } from '../../../schemas/records.js';
import { scheduleOf } from '../../core/job-schedule.js';
import { isRunOfCurrentPlan } from '../../core/lifecycle.js';
import { lateRunDecision } from '../../core/misfire.js';
import { ms } from '../../core/time.js';
import type { ServiceDeps } from '../service-deps.js';
import type { OutcomeRecorder, RunOutcome } from './outcomes.js';
import type { ConcurrencyGate, SlotTaken } from './slots.js';

/** Whether a delivery may go on to its claim: with the slot it took, or with what became of it instead. */
export type Admission =
  | { admitted: true; job: JobRecord; slot: SlotTaken }
  | { admitted: false; outcome: RunOutcome };

/**
 * Whether the job's state lets this delivery run. New scheduled runs need an active job; retries of
 * a run already under way, manual triggers and replays go on while it is paused or finished — only a
 * cancel stops everything.
 */
function allowsRun(job: JobRecord, message: RunMessage): boolean {
  if (job.status === 'active') return true;
  if (job.status === 'cancelled') return false;
  return message.trigger !== 'schedule' || message.attempt > 1;
}

/** Why the job no longer wants this delivery (another tenant's, its state, a newer plan), or null. */
export function whyNotWanted(job: JobRecord, message: RunMessage): string | null {
  if (job.tenant !== message.tenant) return 'job not found';
  if (!allowsRun(job, message)) return `job is ${job.status}`;
  if (!isRunOfCurrentPlan(job, message)) {
    return 'superseded: the schedule changed, or the job was paused or resumed';
  }
  return null;
}

/**
 * Run admission: the checks a delivery passes before its execution is claimed, cheapest first —
 * the job still wants the run (its state, its current plan), the misfire rule, the tenant's
 * executions-per-minute cap, the job's concurrency limit.
 */
export class RunAdmission {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly slots: ConcurrencyGate,
    private readonly outcomes: OutcomeRecorder,
  ) {}

  async admit(job: JobRecord | null, message: RunMessage): Promise<Admission> {
    if (!job) return this.drop(message, 'job not found');
    const unwanted = whyNotWanted(job, message);
    if (unwanted) return this.drop(message, unwanted);
    const now = this.deps.clock.now();
    const missed = this.missed(job, message, now);
    if (missed) return { admitted: false, outcome: await this.outcomes.recordSkipped(job, message, missed) };
    if (await this.heldByTenantCap(job, message, now)) return { admitted: false, outcome: 'requeued' };
    const slot = await this.slots.take(job, message, now);
    if (slot === 'skip') {
      const reason = `overlap: the job already runs ${job.concurrency?.max} at once`;
      return { admitted: false, outcome: await this.outcomes.recordSkipped(job, message, reason) };
    }
    if (slot === 'requeue') return { admitted: false, outcome: 'requeued' };
    return { admitted: true, job, slot };
  }

  private drop(message: RunMessage, why: string): Admission {
    this.deps.log.info('run dropped', { executionId: message.executionId, why });
    return { admitted: false, outcome: 'dropped' };
  }

  /** Why a first scheduled attempt picked up too late is skipped under the misfire rule, or null. */
  private missed(job: JobRecord, message: RunMessage, now: number): string | null {
    if (message.trigger !== 'schedule' || message.attempt !== 1 || message.lateAccepted) return null;
    const scheduledAt = ms(message.scheduledAt);
    if (lateRunDecision({ ...scheduleOf(job), nextRunAt: scheduledAt, scheduledAt }, now) !== 'skip')
      return null;
    return `missed: picked up ${now - scheduledAt} ms after its scheduled time (grace ${job.misfireGraceSeconds} s)`;
  }

  /**
   * The tenant's executions-per-minute cap (tenant-policy.ts), so one tenant's flood cannot hold the
   * executors against the others. Over it the run goes back on the queue for a later minute, late
   * but not missed (`lateAccepted`): the cap delays runs, it never drops them.
   */
  private async heldByTenantCap(job: JobRecord, message: RunMessage, now: number): Promise<boolean> {
    const gate = this.deps.policy?.executions;
    if (!gate) return false;
    const admission = await gate.admit(job.tenant, now);
    if (admission.admitted) return false;
    const later = { ...message, lateAccepted: true };
    await this.deps.queue.send([
      { message: later, priority: job.priority, delaySeconds: admission.delaySeconds },
    ]);
    this.deps.log.info('run held back by the tenant cap', {
      executionId: message.executionId,
      delaySeconds: admission.delaySeconds,
    });
    return true;
  }
}
