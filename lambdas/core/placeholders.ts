/**
 * Context in payloads (docs/targets.md): the names of EventBridge Scheduler's context attributes,
 * in our namespace, replaced at call time in every target type's payload, HTTP bodies included.
 */
export interface DeliveryContext {
  executionId: string;
  jobId: string;
  /** The run's scheduled instant (ISO), as in the execution id. */
  scheduledTime: string;
  /** 1 for the first attempt. */
  attempt: number;
}

export const PLACEHOLDERS = {
  '<scheduler.execution-id>': (c: DeliveryContext) => c.executionId,
  '<scheduler.job-id>': (c: DeliveryContext) => c.jobId,
  '<scheduler.scheduled-time>': (c: DeliveryContext) => c.scheduledTime,
  '<scheduler.attempt>': (c: DeliveryContext) => String(c.attempt),
} as const;

const PATTERN = /<scheduler\.(?:execution-id|job-id|scheduled-time|attempt)>/g;

/** Replaces every placeholder; other text (including unknown `<scheduler.…>` names) stays as written. */
export function fillPlaceholders(text: string, context: DeliveryContext): string {
  return text.replace(PATTERN, (name) => PLACEHOLDERS[name as keyof typeof PLACEHOLDERS](context));
}

/** The delivery metadata every target type carries where its service has a place for it. */
export function deliveryMetadata(context: DeliveryContext): Record<string, string | number> {
  return {
    executionId: context.executionId,
    jobId: context.jobId,
    scheduledTime: context.scheduledTime,
    attempt: context.attempt,
  };
}
