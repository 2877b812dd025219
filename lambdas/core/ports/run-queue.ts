import type { Priority } from '../../../schemas/job.js';
import type { RunMessage } from '../../../schemas/messages.js';

export interface OutgoingRun {
  message: RunMessage;
  priority: Priority;
  delaySeconds: number;
}

/** A received run message's new visibility: how long from now it stays hidden from other receivers. */
export interface VisibilityChange {
  /** The run queue it was received from. */
  priority: Priority;
  receiptHandle: string;
  /** 0–43,200 s (SQS's range): short hands a run back soon; long extends a lease. */
  visibilitySeconds: number;
}

/** The run queues, one per priority: SQS in AWS and in the local emulator, a list in tests. */
export interface RunQueue {
  /** Sends every run or throws; batches per priority internally. */
  send(runs: OutgoingRun[]): Promise<void>;
  /**
   * Sets the visibility of received run messages (their lease), batched per queue. Throws when
   * some could not be changed, naming how many; those keep the visibility they had.
   */
  setVisibility(changes: VisibilityChange[]): Promise<void>;
  ping(): Promise<void>;
}
