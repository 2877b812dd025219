import { createReadStream, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type SendMessageBatch, SQS_BATCH, sendBatch } from '../lambdas/adapters/sqs-batches.js';
import { type JournaledMessage, JournalReader, REPLAY_ID_PREFIX } from './queue-journal.js';

/** Batches under way at once: two hand-overs of fifty to the emulator (SqsDirect), one being answered while the next is handled. */
const PARALLEL_BATCHES = 100;

/** What was on the queues at the end of the journals' sessions (see JournalReader). */
export async function readJournals(files: readonly string[]): Promise<Map<string, JournaledMessage>> {
  const reader = new JournalReader();
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) if (line) reader.read(line);
  }
  return reader.live;
}

export interface ReplayTarget {
  /** SendMessageBatch past the SDK (SqsDirect's), journaled in this session (QueueJournal.attachDirect). */
  sqs: SendMessageBatch;
  /** Queue name -> its URL in this session. */
  queueUrls: ReadonlyMap<string, string>;
  now: () => number;
  /** Told after each batch sent, with the messages sent so far. */
  onProgress?: (sent: number) => void;
  /** Checked before each batch: true stops the replay (it is done again at the next start). */
  stopped?: () => boolean;
}

/**
 * Sends the messages again to their queues, each visible when it would have been (a delay up to
 * SQS's 900 s; one due later comes back early and its reader puts it off again, as for any early
 * delivery). The batch entry id names the message sent again, so the new session's journal marks
 * it replayed (a kill mid-replay does not send it twice). Returns how many were sent; messages of
 * queues this session does not have are left out and counted.
 */
export async function resendMessages(
  messages: ReadonlyMap<string, JournaledMessage>,
  target: ReplayTarget,
): Promise<{ sent: number; unknownQueue: number }> {
  const { batches, unknownQueue } = soonestFirst(messages, target.queueUrls);
  let sent = 0;
  let next = 0;
  const worker = async () => {
    while (next < batches.length && !target.stopped?.()) {
      const batch = batches[next++]!;
      await sendAgain(target, batch.queueUrl, batch.entries);
      sent += batch.entries.length;
      target.onProgress?.(sent);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, batches.length) }, worker));
  return { sent, unknownQueue };
}

type Batch = { queueUrl: string; entries: [string, JournaledMessage][] };

/**
 * The messages in batches of ten per queue, the batches in the order their messages fall due: the
 * runs owed now are back on their queues before those due in a quarter of an hour.
 */
function soonestFirst(
  messages: ReadonlyMap<string, JournaledMessage>,
  queueUrls: ReadonlyMap<string, string>,
): { batches: Batch[]; unknownQueue: number } {
  const known = [...messages].filter(([, m]) => queueUrls.has(m.queue));
  known.sort((a, b) => a[1].visibleAt - b[1].visibleAt);
  const batches: Batch[] = [];
  const filling = new Map<string, Batch>();
  for (const entry of known) {
    let batch = filling.get(entry[1].queue);
    if (!batch) {
      batch = { queueUrl: queueUrls.get(entry[1].queue)!, entries: [] };
      filling.set(entry[1].queue, batch);
      batches.push(batch);
    }
    batch.entries.push(entry);
    if (batch.entries.length === SQS_BATCH) filling.delete(entry[1].queue);
  }
  return { batches, unknownQueue: messages.size - known.length };
}

/** One batch, each entry's id naming the message it sends again (the journal marks it replayed). */
function sendAgain(target: ReplayTarget, queueUrl: string, entries: [string, JournaledMessage][]) {
  const now = target.now();
  const messages = entries.map(([id, m]) => ({
    id: `${REPLAY_ID_PREFIX}${id}`,
    body: m.body,
    delaySeconds: Math.ceil((m.visibleAt - now) / 1000),
  }));
  return sendBatch(target.sqs, queueUrl, messages, 'a replayed queue');
}

/** Once every message is on its queue again (and marked in this session's journal). */
export function removeReplayed(files: readonly string[]): void {
  for (const file of files) rmSync(file, { force: true });
}
