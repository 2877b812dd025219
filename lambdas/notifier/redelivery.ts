import type { RedeliveryPolicy } from '../batch/redelivery.js';

/**
 * A notification its receiver did not take is tried again after 5, 10, 20, 40, 80, 160 s, then
 * every 5 minutes: nine tries over about 15 minutes (README), then the notifications DLQ.
 */
export const NOTIFICATION_REDELIVERY: RedeliveryPolicy = {
  firstDelaySeconds: 5,
  maxDelaySeconds: 300,
  maxReceiveCount: 9,
};
