import { z } from 'zod';
import { Trigger } from './execution.js';
import { ExecutionStatus, NotificationEvent } from './job.js';

/**
 * What a webhook receives (the JSON body, signed with `X-Scheduler-Signature`) and what an email
 * carries. One payload per event and receiver; `id` stays the same across redeliveries.
 */
export const NotificationPayload = z
  .object({
    /** Unique per event (`<executionId>#<event>[#<attempt>]`): receivers deduplicate on it. */
    id: z
      .string()
      .describe(
        'Unique per event and the same on every redelivery (`<executionId>#<event>`, `#failed#<attempt>` for an attempt): deduplicate on it.',
      ),
    event: NotificationEvent.describe(
      '`succeeded`; `failed`: an attempt failed (each one); `dead`: retries exhausted; `missed`: a misfire or overlap policy dropped runs; `late`: the first attempt started past the subscription’s `lateAfterSeconds`; `cancelled`.',
    ),
    occurredAt: z.string().describe('When the scheduler noticed the event (ISO-8601 UTC).'),
    job: z.object({ id: z.string(), name: z.string().nullable() }),
    execution: z.object({
      id: z.string(),
      scheduledAt: z.string(),
      trigger: Trigger,
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      lateByMs: z.number().int().nullable(),
    }),
    /** The execution's status when the event happened. */
    status: ExecutionStatus.describe(
      'The execution’s status when the event happened (`failed`/`timed_out` for a failed attempt, even when a retry follows).',
    ),
    attempts: z.number().int().min(0).describe('Attempts made so far.'),
    error: z
      .string()
      .nullable()
      .describe('The last attempt’s error, or why the run was skipped or cancelled; null on success.'),
    /**
     * For `missed`: how many runs one watcher tick dropped (at least: an outage longer than 100
     * runs is not enumerated run by run), from the first missed to the last dropped one.
     */
    missed: z
      .object({ count: z.number().int().min(1), firstScheduledAt: z.string(), lastScheduledAt: z.string() })
      .optional()
      .describe(
        'For `missed` only: one notification sums up the runs one watcher tick (or a resume) dropped — how many, and the first and last scheduled instants. The execution is the newest dropped run.',
      ),
    /** API paths (absolute when the deployment knows its public URL) to read the execution and the job. */
    links: z
      .object({ execution: z.string(), job: z.string() })
      .describe(
        'URLs of `GET /v1/executions/{id}` and `GET /v1/jobs/{id}` (paths when no public URL is configured).',
      ),
  })
  .meta({ id: 'Notification' });
export type NotificationPayload = z.infer<typeof NotificationPayload>;

export const NotificationChannel = z.union([
  z.strictObject({ webhook: z.url({ protocol: /^https?$/ }) }),
  z.strictObject({ email: z.email() }),
]);
export type NotificationChannel = z.infer<typeof NotificationChannel>;

/** One message on the notifications queue: producers (executor, watcher) and the notifier share it. */
export const NotificationMessage = z.strictObject({
  v: z.literal(1),
  /** Whose signing secret signs a webhook delivery. */
  tenant: z.string().min(1),
  channel: NotificationChannel,
  payload: NotificationPayload,
});
export type NotificationMessage = z.infer<typeof NotificationMessage>;
