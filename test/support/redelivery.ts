import { type RedeliveryPolicy, redeliveryDelaySeconds } from '../../lambdas/batch/redelivery.js';

/** From the first receive to the last one before the dead-letter queue, when every try fails at once. */
export function redeliverySpanSeconds(policy: RedeliveryPolicy): number {
  let total = 0;
  for (let receive = 1; receive < policy.maxReceiveCount; receive++) {
    total += redeliveryDelaySeconds(policy, receive);
  }
  return total;
}
