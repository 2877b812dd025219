import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  type SendMessageBatchResult,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { type SqsEmulator, sqsClient, startSqs } from '../../local/emulators.js';
import { consoleLogger } from '../../local/logger.js';
import { SqsDirect, type SqsPost } from '../../local/sqs-direct.js';

const log = consoleLogger('error');

describe('SqsDirect: SQS requests to fauxqs past the SDK', () => {
  let emulator: SqsEmulator | undefined;
  let client: SQSClient | undefined;
  afterEach(async () => {
    client?.destroy();
    await emulator?.stop();
    emulator = undefined;
    client = undefined;
  });

  /** fauxqs in its worker thread, as the runtime runs it, with a queue. */
  async function threadWithQueue() {
    emulator = await startSqs(0, { log });
    client = sqsClient(emulator.endpoint);
    const queueUrl = (await client.send(new CreateQueueCommand({ QueueName: 'runs' }))).QueueUrl!;
    return { emulator, client, queueUrl };
  }

  it('puts the messages on the queue the emulator serves over HTTP, with their ids', async () => {
    const { emulator, client, queueUrl } = await threadWithQueue();
    const direct = new SqsDirect(emulator.post);
    const out = await direct.sendMessageBatch({
      QueueUrl: queueUrl,
      Entries: ['a', 'b'].map((b) => ({ Id: b, MessageBody: `body-${b}` })),
    });
    expect(out.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    expect(got.Messages?.map((m) => [m.Body, m.MessageId]).sort()).toEqual(
      out.Successful!.map((s) => [`body-${s.Id}`, s.MessageId]).sort(),
    );
  });

  it('rejects a request the emulator refuses with its code, and shows observers only what it accepted', async () => {
    const { emulator, queueUrl } = await threadWithQueue();
    const direct = new SqsDirect(emulator.post);
    const seen: string[] = [];
    direct.observe((action, input) => seen.push(`${action} ${(input as { QueueUrl: string }).QueueUrl}`));
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ Id: String(i), MessageBody: 'x' }));
    await expect(direct.sendMessageBatch({ QueueUrl: queueUrl, Entries: tooMany })).rejects.toThrow(
      /TooManyEntriesInBatchRequest/,
    );
    await expect(
      direct.sendMessageBatch({ QueueUrl: `${queueUrl}-gone`, Entries: [{ Id: 'a', MessageBody: 'x' }] }),
    ).rejects.toThrow(/QueueDoesNotExist/);
    await direct.sendMessageBatch({ QueueUrl: queueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] });
    expect(seen).toEqual([`SendMessageBatch ${queueUrl}`]);
  });

  it('hands the requests of one turn over together, fifty at a time, each answered in its place', async () => {
    const posts: number[] = [];
    const post: SqsPost = async (requests) => {
      posts.push(requests.length);
      return requests.map((r) => ({ status: 200, output: r.input }));
    };
    const direct = new SqsDirect(post);
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) => direct.send<{ n: number }>('Echo', { n: i })),
    );
    expect(posts).toEqual([50, 50, 20]);
    expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 120 }, (_, i) => i));
  });

  it('fails a request in flight when the emulator’s thread stops, and any request after', async () => {
    const { emulator: thread, client: http, queueUrl } = await threadWithQueue();
    http.destroy();
    const direct = new SqsDirect(thread.post);
    const entries = [{ Id: 'a', MessageBody: 'x' }];
    const inFlight = direct.sendMessageBatch({ QueueUrl: queueUrl, Entries: entries });
    const stopped = thread.stop();
    const outcome = await inFlight.then(
      (out: SendMessageBatchResult) => out.Successful?.length,
      (error: Error) => error.message,
    );
    await stopped;
    // Answered before the thread went, or failed with it: never left hanging.
    expect([1, 'fauxqs thread is stopping', 'fauxqs thread exited']).toContain(outcome);
    await expect(direct.sendMessageBatch({ QueueUrl: queueUrl, Entries: entries })).rejects.toThrow(
      'fauxqs thread is stopping',
    );
    emulator = undefined;
    client = undefined;
  });
});
