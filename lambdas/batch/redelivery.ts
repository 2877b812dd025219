/**
 * How SQS hands back a message a function reported as failed: the function shortens (or grows)
 * the message's visibility before returning it, doubling from `firstDelaySeconds` up to
 * `maxDelaySeconds`, and the queue's redrive policy moves it to its dead-letter queue at the
 * `maxReceiveCount`-th receive. The CDK stack writes `maxReceiveCount` into the redrive policy,
 * so the two cannot disagree.
 */
export interface RedeliveryPolicy {
  readonly firstDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly maxReceiveCount: number;
}

/** Seconds a message stays hidden after its `receiveCount`-th receive failed (1, 2, …). */
export function redeliveryDelaySeconds(policy: RedeliveryPolicy, receiveCount: number): number {
  const exponent = Math.min(30, Math.max(0, receiveCount - 1));
  return Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * 2 ** exponent);
}

/** `ApproximateReceiveCount` of an SQS record (1 when absent or unreadable). */
export function receiveCountOf(record: { attributes?: { ApproximateReceiveCount?: string } }): number {
  return Math.max(1, Number(record.attributes?.ApproximateReceiveCount ?? 1) || 1);
}
