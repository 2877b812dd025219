/**
 * When to send a delayed run message so that the executor waits little for it. A scheduled run is
 * due on a whole second and SQS delays in whole seconds, so a message sent at `t` with the longest
 * delay that is not late becomes visible `1000 − (t mod 1000)` ms before it is due: the executor,
 * billed by the millisecond, sleeps that long. Sent in the last `leadMs` of a second, it sleeps at
 * most `leadMs`, less what the executor does before it sleeps (docs/decisions/aligned-sends.md).
 */

/**
 * How long before a second boundary the watcher sends its delayed runs. It must cover what happens
 * between the send and the executor's sleep: the SendMessageBatch round trip, the receive and the
 * invocation, the job read and the claim (about 100–150 ms in AWS). Each 100 ms costs about
 * $0.05 per million runs of executor time at 256 MB (docs/decisions/aligned-sends.md).
 */
export const SEND_LEAD_MS = 200;

/** Milliseconds from `now` until the send window (the last `leadMs` of a second) opens; 0 inside it. */
export function untilSendWindow(now: number, leadMs: number = SEND_LEAD_MS): number {
  const into = ((now % 1000) + 1000) % 1000;
  const opens = 1000 - Math.min(1000, Math.max(0, leadMs));
  return into >= opens ? 0 : opens - into;
}

/**
 * Whether runs of which the first is due at `firstDueAt` gain by waiting for the window: only if
 * they are still not due when it opens (a run due before then is sent at once).
 */
export function worthAligning(firstDueAt: number, now: number, leadMs: number = SEND_LEAD_MS): boolean {
  return firstDueAt > now + untilSendWindow(now, leadMs);
}
