import { z } from 'zod';
import { Trigger } from './execution.js';

/**
 * One run on a run queue. Producer (api, watcher, executor retries) and consumer
 * (executor) share this schema; the job definition is read fresh at run time so a
 * PATCH between enqueue and run is honoured.
 */
export const RunMessage = z.strictObject({
  v: z.literal(1),
  executionId: z.string().min(1),
  jobId: z.string().min(1),
  tenant: z.string().min(1),
  scheduledAt: z.iso.datetime(),
  trigger: Trigger,
  /** The attempt this delivery should make (1 for a fresh run). */
  attempt: z.number().int().min(1),
  /**
   * The job's plan revision (`planRev`) this run was planned under; the executor drops a first
   * scheduled attempt from an older plan (a schedule change, pause, resume or cancel since).
   * Absent in messages sent before revisions existed: revision 0.
   */
  plan: z.number().int().min(0).optional(),
  /** Set when a misfire policy already chose to run this late run (it must not be skipped again as late). */
  lateAccepted: z.boolean().optional(),
});
export type RunMessage = z.infer<typeof RunMessage>;
