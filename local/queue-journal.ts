import { closeSync, openSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsDirect } from './sqs-direct.js';

/** The journal of the running session, under the data directory. */
const JOURNAL = 'queue-journal.jsonl';
/** A session's journal waiting to be replayed: `queue-journal.<start ms>.replay.jsonl`. */
const REPLAY = /^queue-journal\.(\d+)\.replay\.jsonl$/;
/** Batch entry ids that carry the id of the message a replay sends again (SQS allows 80 characters). */
export const REPLAY_ID_PREFIX = 'r_';
/** Lines written before a rewrite is considered; past that, a rewrite when most lines are dead. */
const COMPACT_AFTER_LINES = 20_000;

/** A message the journal holds as on its queue: sent and not deleted. */
export interface JournaledMessage {
  /** The queue's name (its URL changes with the emulator's port). */
  queue: string;
  body: string;
  /** When it is (or was) visible, ms: its send's delay or its last visibility change. */
  visibleAt: number;
}

/**
 * One line per change: `["s", id, queue, visibleAt, body, replayOf?]` a send (replayOf: the id of
 * the message of an earlier session it sends again), `["d", id]` a delete, `["v", id, visibleAt]`
 * a visibility change.
 */
type Line = ['s', string, string, number, string, string?] | ['d', string] | ['v', string, number];

type Observed = { input: Record<string, unknown>; output: Record<string, unknown> | undefined };

/**
 * A journal of the messages on the scheduler's own queues, kept beside the SQS emulator, which
 * holds them in memory only: every send, delete and visibility change the runtime's SQS client
 * makes on those queues is written (one `write` per request, before the caller goes on, so a
 * kill -9 loses nothing the caller acted on). The next start replays what was sent and not
 * deleted (docs/decisions/local-queue-journal.md). Messages held in memory: the live ones only.
 */
export class QueueJournal {
  private fd: number;
  private readonly live = new Map<string, JournaledMessage & { replayOf?: string }>();
  private readonly idOfReceipt = new Map<string, string>();
  private readonly receiptOfId = new Map<string, string>();
  private lines = 0;
  private closed = false;
  /**
   * While earlier journals are replayed, this one keeps every line: a rewrite would drop the
   * marks of what the replay already sent again, and a kill mid-replay would then send it twice.
   */
  holdCompaction = false;

  private readonly dataDir: string;
  private readonly queues: ReadonlySet<string>;
  private readonly now: () => number;
  private readonly compactAfterLines: number;

  /**
   * Opens this session's journal in `dataDir`; the previous sessions' journals (a journal not yet
   * replayed, and replays a kill interrupted) are set aside, oldest first, for `replayFiles`.
   */
  constructor(options: {
    dataDir: string;
    /** Names of the queues journaled. */
    queues: ReadonlySet<string>;
    now: () => number;
    /** Names this session's journal when the next start sets it aside (ms; later sessions sort after). */
    startedAt: number;
    compactAfterLines?: number;
  }) {
    const { dataDir, startedAt } = options;
    this.dataDir = dataDir;
    this.queues = options.queues;
    this.now = options.now;
    this.compactAfterLines = options.compactAfterLines ?? COMPACT_AFTER_LINES;
    // Named after the sessions set aside before it even if the clock went back: replays go in order.
    const after = Math.max(
      startedAt,
      ...this.replayFiles().map((f) => Number(REPLAY.exec(basename(f))![1]) + 1),
    );
    try {
      renameSync(join(dataDir, JOURNAL), join(dataDir, `queue-journal.${after}.replay.jsonl`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.fd = openSync(join(dataDir, JOURNAL), 'a');
  }

  /** The journals waiting to be replayed, oldest first (empty: a fresh data directory, or one from before the journal). */
  replayFiles(): string[] {
    return readdirSync(this.dataDir)
      .map((name) => ({ name, match: REPLAY.exec(name) }))
      .filter((f) => f.match !== null)
      .sort((a, b) => Number(a.match![1]) - Number(b.match![1]))
      .map((f) => join(this.dataDir, f.name));
  }

  /** Messages sent and not deleted in this session. */
  get size(): number {
    return this.live.size;
  }

  /** Records the client's requests on the journaled queues once SQS has answered them. */
  attach(client: SQSClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        this.observe(String(context.commandName), {
          input: args.input as Record<string, unknown>,
          output: result.output as unknown as Record<string, unknown> | undefined,
        });
        return result;
      },
      { step: 'initialize', name: 'queueJournal' },
    );
  }

  /** Records the requests made past the SDK (the replay's bulk sends) as `attach` does the client's. */
  attachDirect(direct: SqsDirect): void {
    direct.observe((action, input, output) =>
      this.observe(`${action}Command`, {
        input: input as Record<string, unknown>,
        output: output as Record<string, unknown> | undefined,
      }),
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private observe(command: string, { input, output }: Observed): void {
    if (this.closed || !this.journaled(input.QueueUrl)) return;
    const queue = queueName(String(input.QueueUrl));
    const now = this.now();
    const lines: Line[] = [];
    switch (command) {
      case 'SendMessageCommand': {
        const id = output?.MessageId;
        if (typeof id === 'string')
          lines.push(['s', id, queue, now + delayMs(input.DelaySeconds), String(input.MessageBody)]);
        break;
      }
      case 'SendMessageBatchCommand': {
        const entries = new Map(
          (input.Entries as { Id: string; MessageBody: string; DelaySeconds?: number }[]).map((e) => [
            e.Id,
            e,
          ]),
        );
        for (const ok of (output?.Successful ?? []) as { Id: string; MessageId: string }[]) {
          const entry = entries.get(ok.Id);
          if (!entry) continue;
          const sent: Line = ['s', ok.MessageId, queue, now + delayMs(entry.DelaySeconds), entry.MessageBody];
          if (ok.Id.startsWith(REPLAY_ID_PREFIX)) sent.push(ok.Id.slice(REPLAY_ID_PREFIX.length));
          lines.push(sent);
        }
        break;
      }
      case 'ReceiveMessageCommand':
        for (const m of (output?.Messages ?? []) as { MessageId?: string; ReceiptHandle?: string }[])
          if (m.MessageId && m.ReceiptHandle && this.live.has(m.MessageId))
            this.received(m.MessageId, m.ReceiptHandle);
        break;
      case 'DeleteMessageCommand':
        this.byReceipt(input.ReceiptHandle, (id) => lines.push(['d', id]));
        break;
      case 'DeleteMessageBatchCommand':
        this.eachSuccess(input, output, (id) => lines.push(['d', id]));
        break;
      case 'ChangeMessageVisibilityCommand':
        this.byReceipt(input.ReceiptHandle, (id) =>
          lines.push(['v', id, now + delayMs(input.VisibilityTimeout)]),
        );
        break;
      case 'ChangeMessageVisibilityBatchCommand': {
        const seconds = new Map(
          (input.Entries as { Id: string; VisibilityTimeout?: number }[]).map((e) => [
            e.Id,
            e.VisibilityTimeout,
          ]),
        );
        this.eachSuccess(input, output, (id, entryId) =>
          lines.push(['v', id, now + delayMs(seconds.get(entryId))]),
        );
        break;
      }
    }
    if (lines.length > 0) this.write(lines);
  }

  private journaled(queueUrl: unknown): boolean {
    return typeof queueUrl === 'string' && this.queues.has(queueName(queueUrl));
  }

  private received(id: string, receipt: string): void {
    const earlier = this.receiptOfId.get(id);
    if (earlier !== undefined) this.idOfReceipt.delete(earlier);
    this.idOfReceipt.set(receipt, id);
    this.receiptOfId.set(id, receipt);
  }

  private byReceipt(receipt: unknown, then: (id: string) => void): void {
    const id = typeof receipt === 'string' ? this.idOfReceipt.get(receipt) : undefined;
    if (id !== undefined) then(id);
  }

  private eachSuccess(
    input: Record<string, unknown>,
    output: Record<string, unknown> | undefined,
    then: (id: string, entryId: string) => void,
  ): void {
    const receipts = new Map(
      (input.Entries as { Id: string; ReceiptHandle: string }[]).map((e) => [e.Id, e.ReceiptHandle]),
    );
    for (const ok of (output?.Successful ?? []) as { Id: string }[])
      this.byReceipt(receipts.get(ok.Id), (id) => then(id, ok.Id));
  }

  private write(lines: Line[]): void {
    for (const line of lines) this.apply(line);
    writeSync(this.fd, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    this.lines += lines.length;
    if (!this.holdCompaction && this.lines > this.compactAfterLines && this.lines > 2 * this.live.size)
      this.compact();
  }

  private apply(line: Line): void {
    const id = line[1];
    if (line[0] === 's') {
      this.live.set(id, {
        queue: line[2],
        visibleAt: line[3],
        body: line[4],
        ...(line[5] === undefined ? {} : { replayOf: line[5] }),
      });
    } else if (line[0] === 'd') {
      this.live.delete(id);
      const receipt = this.receiptOfId.get(id);
      if (receipt !== undefined) this.idOfReceipt.delete(receipt);
      this.receiptOfId.delete(id);
    } else {
      const message = this.live.get(id);
      if (message) message.visibleAt = line[2];
    }
  }

  /** Rewrites the journal as its live messages (a new file renamed over the old one: a kill leaves either). */
  private compact(): void {
    const path = join(this.dataDir, JOURNAL);
    const next = `${path}.compacting`;
    const fd = openSync(next, 'w');
    let chunk = '';
    for (const [id, m] of this.live) {
      const line: Line = ['s', id, m.queue, m.visibleAt, m.body];
      if (m.replayOf !== undefined) line.push(m.replayOf);
      chunk += `${JSON.stringify(line)}\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) writeSync(fd, chunk);
    closeSync(fd);
    renameSync(next, path);
    closeSync(this.fd);
    this.fd = openSync(path, 'a');
    this.lines = this.live.size;
  }
}

/** What the journals say was on the queues at the end: sent, not deleted, not already sent again by a later replay. */
export class JournalReader {
  readonly live = new Map<string, JournaledMessage>();

  /** One line of a journal, in order. A torn last line (a kill mid-write) is ignored. */
  read(text: string): void {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return;
    }
    if (!Array.isArray(line)) return;
    const id = line[1];
    if (line[0] === 's') {
      this.live.set(id, { queue: line[2], visibleAt: line[3], body: line[4] });
      if (line[5] !== undefined) this.live.delete(line[5]);
    } else if (line[0] === 'd') {
      this.live.delete(id);
    } else if (line[0] === 'v') {
      const message = this.live.get(id);
      if (message) message.visibleAt = line[2];
    }
  }
}

function delayMs(seconds: unknown): number {
  return typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : 0;
}

/** A queue URL's last path segment: its name. */
export function queueName(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
}
