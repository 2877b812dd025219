import type { RedeliveryPolicy } from '../batch/redelivery.js';

/**
 * A run the executor could not handle (a store or queue error; a target's failure is an attempt,
 * retried inside the execution) comes back after 5, 10, 20, 40 s, then every minute, and reaches
 * the run dead-letter queue at its tenth receive, about six minutes after the first.
 */
export const RUN_REDELIVERY: RedeliveryPolicy = {
  firstDelaySeconds: 5,
  maxDelaySeconds: 60,
  maxReceiveCount: 10,
};
