import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SqsEmulator, sqsClient, startSqs } from '../../local/emulators.js';
import { readJournals, removeReplayed, resendMessages } from '../../local/journal-replay.js';
import { QueueJournal } from '../../local/queue-journal.js';
import { SqsDirect } from '../../local/sqs-direct.js';
import { tempDataDir } from '../support/runtime.js';

const T0 = Date.parse('2026-05-01T12:00:00.000Z');

/** One session of the runtime as the journal sees it: an emulator, a client, the journal on it. */
async function session(dataDir: string, startedAt: number, compactAfterLines?: number) {
  const emulator: SqsEmulator = await startSqs();
  const client: SQSClient = sqsClient(emulator.endpoint);
  const clock = { now: startedAt };
  const journal = new QueueJournal({
    dataDir,
    queues: new Set(['runs']),
    now: () => clock.now,
    startedAt,
    ...(compactAfterLines === undefined ? {} : { compactAfterLines }),
  });
  journal.attach(client);
  // The replay's way to the emulator (past the SDK), journaled as the runtime does.
  const direct = new SqsDirect(emulator.post);
  journal.attachDirect(direct);
  const runs = (await client.send(new CreateQueueCommand({ QueueName: 'runs' }))).QueueUrl!;
  const other = (await client.send(new CreateQueueCommand({ QueueName: 'user-queue' }))).QueueUrl!;
  return {
    client,
    replay: direct.sendMessageBatch,
    /** What this start does: the earlier sessions' journals sent again, now. */
    replayEarlier: async () =>
      resendMessages(await readJournals(journal.replayFiles()), {
        sqs: direct.sendMessageBatch,
        queueUrls: new Map([['runs', runs]]),
        now: () => clock.now,
      }),
    clock,
    journal,
    runs,
    other,
    /** kill -9: the emulator's memory is gone; the journal's file is what was written. */
    kill: async () => {
      journal.close();
      client.destroy();
      await emulator.stop();
    },
    depth: async () => {
      const out = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: runs, AttributeNames: ['All'] }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages) +
        Number(out.Attributes?.ApproximateNumberOfMessagesDelayed)
      );
    },
  };
}

describe('QueueJournal', () => {
  let data: ReturnType<typeof tempDataDir>;
  let live: { kill(): Promise<void> }[] = [];
  beforeEach(() => {
    data = tempDataDir();
  });
  afterEach(async () => {
    for (const s of live) await s.kill().catch(() => undefined);
    live = [];
    data.remove();
  });
  const open = async (startedAt: number, compactAfterLines?: number) => {
    const s = await session(data.dir, startedAt, compactAfterLines);
    live.push(s);
    return s;
  };

  it('gives the next start what was sent and not deleted, each visible when it would have been', async () => {
    // Prepare: four runs sent, one deleted after its receive, one put off; a user queue's message.
    const first = await open(T0);
    await first.client.send(
      new SendMessageBatchCommand({
        QueueUrl: first.runs,
        Entries: [
          { Id: 'a', MessageBody: 'run-a' },
          { Id: 'b', MessageBody: 'run-b', DelaySeconds: 60 },
          { Id: 'c', MessageBody: 'run-c' },
        ],
      }),
    );
    await first.client.send(new SendMessageCommand({ QueueUrl: first.runs, MessageBody: 'run-d' }));
    await first.client.send(new SendMessageCommand({ QueueUrl: first.other, MessageBody: 'not ours' }));
    const got = await first.client.send(
      new ReceiveMessageCommand({ QueueUrl: first.runs, MaxNumberOfMessages: 10 }),
    );
    const byBody = new Map((got.Messages ?? []).map((m) => [m.Body, m.ReceiptHandle!]));
    expect([...byBody.keys()].sort()).toEqual(['run-a', 'run-c', 'run-d']);
    await first.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: first.runs,
        Entries: [{ Id: '0', ReceiptHandle: byBody.get('run-a')! }],
      }),
    );
    first.clock.now = T0 + 1000;
    await first.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: first.runs,
        ReceiptHandle: byBody.get('run-c')!,
        VisibilityTimeout: 30,
      }),
    );
    await first.kill();

    // Act
    const second = await open(T0 + 5000);
    const files = second.journal.replayFiles();
    const lost = await readJournals(files);

    // Assess
    const seen = [...lost.values()].map((m) => [m.body, m.visibleAt - T0]).sort();
    expect(seen).toEqual([
      ['run-b', 60_000],
      ['run-c', 31_000],
      ['run-d', 0],
    ]);
    const out = await resendMessages(lost, {
      sqs: second.replay,
      queueUrls: new Map([['runs', second.runs]]),
      now: () => T0 + 5000,
    });
    expect(out).toEqual({ sent: 3, unknownQueue: 0 });
    expect(await second.depth()).toBe(3);
    expect(second.journal.size).toBe(3);
  });

  it('sends nothing twice when a kill interrupts the replay: the new journal marks what it sent again', async () => {
    // Prepare: two sessions each leave messages; the second is killed before removing the first's journal.
    const first = await open(T0);
    await first.client.send(
      new SendMessageBatchCommand({
        QueueUrl: first.runs,
        Entries: ['x', 'y'].map((b) => ({ Id: b, MessageBody: b })),
      }),
    );
    await first.kill();
    const second = await open(T0 + 1000);
    const firstFiles = second.journal.replayFiles();
    await resendMessages(await readJournals(firstFiles), {
      sqs: second.replay,
      queueUrls: new Map([['runs', second.runs]]),
      now: () => T0 + 1000,
    });
    await second.client.send(new SendMessageCommand({ QueueUrl: second.runs, MessageBody: 'z' }));
    await second.kill(); // before removeReplayed
    // Act
    const third = await open(T0 + 2000);
    const files = third.journal.replayFiles();
    const lost = await readJournals(files);
    // Assess: x and y once (as the second session sent them again), z
    expect(files).toHaveLength(2);
    expect([...lost.values()].map((m) => m.body).sort()).toEqual(['x', 'y', 'z']);
    removeReplayed(files);
    expect(third.journal.replayFiles()).toEqual([]);
  });

  it('puts back the messages due soonest first, whatever order the last session sent them in', async () => {
    // Prepare: runs sent due in 10 min, 5 min, now and 1 min, in that order.
    const first = await open(T0);
    await first.client.send(
      new SendMessageBatchCommand({
        QueueUrl: first.runs,
        Entries: [600, 300, 0, 60].map((s) => ({ Id: `in${s}`, MessageBody: `in${s}`, DelaySeconds: s })),
      }),
    );
    await first.kill();
    // Act
    const second = await open(T0 + 1000);
    await second.replayEarlier();
    // Assess: the new session's journal has them in the order they were sent again.
    const sent = readFileSync(join(data.dir, 'queue-journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [string, string, string, number, string]);
    expect(sent.map((l) => l[4])).toEqual(['in0', 'in60', 'in300', 'in600']);
  });

  it('replays the sessions in the order they ran even when the clock went back between them', async () => {
    const first = await open(T0);
    await first.client.send(new SendMessageCommand({ QueueUrl: first.runs, MessageBody: 'kept' }));
    await first.kill();
    const second = await open(T0 + 1000);
    await second.replayEarlier();
    await second.kill();
    const third = await open(T0 - 60_000); // the clock stepped back a minute
    const files = third.journal.replayFiles();
    expect(files).toHaveLength(2);
    expect([...(await readJournals(files)).values()].map((m) => m.body)).toEqual(['kept']);
  });

  it('rewrites itself as its live messages once most of its lines are dead', async () => {
    // Prepare
    const s = await open(T0, 50);
    for (let round = 0; round < 20; round++) {
      await s.client.send(
        new SendMessageBatchCommand({
          QueueUrl: s.runs,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `r${round}-${i}` })),
        }),
      );
      const got = await s.client.send(
        new ReceiveMessageCommand({ QueueUrl: s.runs, MaxNumberOfMessages: 10 }),
      );
      const done = (got.Messages ?? []).filter((m) => !m.Body?.endsWith('-0'));
      await s.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: s.runs,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    const left = s.journal.size;
    await s.kill();
    // Assess: about a line per live message, not ~400 lines; and what is live survives the rewrite.
    const lines = readFileSync(join(data.dir, 'queue-journal.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(150);
    const next = await open(T0 + 1000);
    const lost = await readJournals(next.journal.replayFiles());
    expect(lost.size).toBe(left);
    expect(left).toBeGreaterThanOrEqual(20);
  });
});
