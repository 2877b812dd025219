import { marshall } from '@aws-sdk/util-dynamodb';
import {
  type IndexDef,
  type Item,
  type ItemShape,
  type KeySchema,
  shapeOf,
  writeCost,
  writeUnitsFor,
} from './capacity.js';

/**
 * Counting middleware for the SDK clients of the local runtime: calls per command, DynamoDB
 * read/write units (base table and each GSI apart) and SQS billed requests. Counters are a flat
 * map of names to numbers so a scenario's share is `diff(after, before)`. While a log is open
 * (`startLog`), every request is also kept as a record — what it cost and which runs and jobs it
 * names — for attributing cost to the runs it serves (bench/attribution.ts) and for the per-run
 * ledger (bench/ledger.ts).
 */
export type Counts = Record<string, number>;

export interface TableDef {
  name: string;
  key: KeySchema;
  indexes: IndexDef[];
}

/** What one item or message stands for: a run (its execution id, and its job) or a job. */
export type Subject = { run: string; job: string } | { job: string };

/** Tells which run or job an item of a table, or a queue message, stands for (bench/subjects.ts). */
export interface SubjectResolver {
  ofItem(table: string, item: Record<string, unknown>): Subject | undefined;
  ofMessage(body: string): Subject | undefined;
}

export interface RequestRecord {
  seq: number;
  /** Epoch ms when the answer came back. */
  at: number;
  service: 'dynamodb' | 'sqs';
  operation: string;
  /** Table, `table/index`, or queue name. */
  target: string;
  ok: boolean;
  /** The counters this request added (the meter's names: `ddb.call.GetItem`, `ddb.wru.index.t/i`, …). */
  counts: Counts;
  /** Runs the request names (execution items, run messages), each with its job. */
  runs: { run: string; job: string }[];
  /** Jobs the request names (job items and the job's own helper items). */
  jobs: string[];
  /** A DynamoDB write (PutItem, UpdateItem, DeleteItem, BatchWriteItem). */
  write: boolean;
  /** A Query or Scan: the jobs it names are the ones it found. */
  query: boolean;
  /** Runs whose messages this receive handed out. */
  received?: string[];
  /** Runs whose messages this request deleted (the executor is done with them). */
  settled?: string[];
}

export interface MeterOptions {
  tables?: readonly TableDef[];
  resolver?: SubjectResolver;
  readBack?: ReadBack;
  /** Epoch ms; a fake clock in tests. @default Date.now */
  now?: () => number;
  /**
   * The runtime's `handOverAheadSeconds`: its run queues send first scheduled runs that much sooner
   * (local/early-delivery.ts), which AWS does not. The residual is counted with the delay AWS
   * would have given them, as the cost model prices AWS. @default 0
   */
  handOverAheadSeconds?: number;
}

/**
 * The residual of a run message: how long before its `scheduledAt` it becomes visible, which the
 * executor sleeps (DelaySeconds has whole seconds). Counted per message sent as
 * `sqs.residual.messages`, `sqs.residual.ms` (the sum) and a histogram of 10 ms bins
 * `sqs.residual.bin.<upper bound>` (usage.ts reads the mean and p99 from them).
 */
export const RESIDUAL_BIN_MS = 10;

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;
type Next = (args: { input: Input }) => Promise<{ output: Output }>;
type Context = Record<string, unknown> & { commandName?: string };
type Middleware = (next: Next, context: Context) => Next;
/** The part of an SDK client's middleware stack this needs (both SDK clients have it). */
export interface MiddlewareHost {
  middlewareStack: {
    add(
      middleware: Middleware,
      options: { step: 'initialize' | 'build'; name: string; priority?: string },
    ): void;
  };
}

/** Reads an item back outside the meter (consistent), when a write's answer does not carry its new image. */
export type ReadBack = (table: string, key: Item) => Promise<Item | undefined>;

const SQS_CHUNK_BYTES = 64 * 1024;
const FORCED = Symbol('bench-meter-forced');
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

interface Forced {
  returnValues: boolean;
  capacity: boolean;
}

function bump(counts: Counts, name: string, by = 1): void {
  counts[name] = (counts[name] ?? 0) + by;
}

export function diff(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0);
    if (delta !== 0) out[name] = Math.round(delta * 1000) / 1000;
  }
  return out;
}

/** Sum of the counters whose name starts with `prefix`. */
export function total(counts: Counts, prefix: string): number {
  let sum = 0;
  for (const [name, value] of Object.entries(counts)) if (name.startsWith(prefix)) sum += value;
  return sum;
}

function isMarshalled(item: Record<string, unknown>, attribute: string): boolean {
  const key = item[attribute];
  return typeof key === 'object' && key !== null && !Array.isArray(key);
}

const queueName = (url: unknown) =>
  String(url ?? '')
    .split('/')
    .pop() ?? '';

/** One request being metered: its counters and what it names. */
class Pending {
  readonly counts: Counts = {};
  /** Run -> its job. */
  readonly runs = new Map<string, string>();
  readonly jobs = new Set<string>();
  received: string[] | undefined;
  settled: string[] | undefined;

  name(subject: Subject | undefined): void {
    if (!subject) return;
    if ('run' in subject) this.runs.set(subject.run, subject.job);
    else this.jobs.add(subject.job);
  }
}

export class AwsMeter {
  private readonly counts: Counts = {};
  /** The last known shape of every item written through the metered client: the "before" of the next write. */
  private readonly items = new Map<string, ItemShape>();
  private readonly tables = new Map<string, TableDef>();
  /** Receipt handle -> the run of the message, between a receive and its delete. */
  private readonly receipts = new Map<string, { run: string; job: string }>();
  private log: RequestRecord[] | undefined;
  private seq = 0;

  private resolver: SubjectResolver | undefined;
  private readBack: ReadBack | undefined;
  private readonly now: () => number;
  private readonly handOverAheadSeconds: number;

  constructor(options: MeterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.handOverAheadSeconds = options.handOverAheadSeconds ?? 0;
    this.configure(options);
  }

  /**
   * The tables' keys, indexes and projections (read from the emulator once it has created them),
   * how to name runs and jobs, and how to read an item back. Writes before it are counted as
   * `ddb.unmeteredWrites`.
   */
  configure({ tables = [], resolver, readBack }: MeterOptions): void {
    for (const table of tables) this.tables.set(table.name, table);
    if (resolver) this.resolver = resolver;
    if (readBack) this.readBack = readBack;
  }

  snapshot(): Counts {
    return { ...this.counts };
  }

  /** Keeps a record of every request from now on (replaces an open log). */
  startLog(): void {
    this.log = [];
  }

  /** The records since `startLog`, in the order their answers came back; the log closes. */
  stopLog(): RequestRecord[] {
    const records = this.log ?? [];
    this.log = undefined;
    return records;
  }

  attach(client: MiddlewareHost, service: 'dynamodb' | 'sqs'): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = { ...args.input };
        const forced: Forced = { returnValues: false, capacity: false };
        if (service === 'dynamodb') {
          if (input.ReturnConsumedCapacity === undefined || input.ReturnConsumedCapacity === 'NONE') {
            input.ReturnConsumedCapacity = 'TOTAL';
            forced.capacity = true;
          }
          // The new image of an update is needed to know which indexes it lands in.
          const command = (context.commandName ?? '').replace(/Command$/, '');
          if (
            command === 'UpdateItem' &&
            (input.ReturnValues === undefined || input.ReturnValues === 'NONE')
          ) {
            input.ReturnValues = 'ALL_NEW';
            forced.returnValues = true;
          }
        }
        (context as Record<symbol, unknown>)[FORCED] = forced;
        return next({ ...args, input });
      },
      { step: 'initialize', name: `benchMeterInit-${service}`, priority: 'high' },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const prefix = service === 'dynamodb' ? 'ddb' : 'sqs';
        const request = new Pending();
        bump(request.counts, `${prefix}.call.${command}`);
        const forced = ((context as Record<symbol, unknown>)[FORCED] as Forced | undefined) ?? {
          returnValues: false,
          capacity: false,
        };
        // The earliest the request can reach AWS: a message sent in it is visible no sooner than this + its delay.
        const sentAt = this.now();
        let result: { output: Output };
        try {
          result = await next(args);
        } catch (error) {
          bump(request.counts, `${prefix}.error.${command}`);
          if (service === 'dynamodb') {
            this.nameDynamo(request, command, args.input, {});
            if ((error as Error).name === 'ConditionalCheckFailedException') {
              this.chargeFailedCondition(request, command, args.input);
            }
          } else this.nameSqs(request, command, args.input, {}, false);
          this.finish(request, service, command, args.input, false);
          throw error;
        }
        if (service === 'dynamodb') {
          await this.dynamoSucceeded(request, command, args.input, result.output, forced.returnValues);
        } else this.sqsSucceeded(request, command, args.input, result.output, sentAt);
        if (forced.capacity) delete result.output.ConsumedCapacity;
        if (forced.returnValues) delete result.output.Attributes;
        this.finish(request, service, command, args.input, true);
        return result;
      },
      { step: 'build', name: `benchMeterBuild-${service}`, priority: 'low' },
    );
  }

  private finish(request: Pending, service: 'dynamodb' | 'sqs', command: string, input: Input, ok: boolean) {
    for (const [name, value] of Object.entries(request.counts)) bump(this.counts, name, value);
    if (!this.log) return;
    const record: RequestRecord = {
      seq: this.seq++,
      at: this.now(),
      service,
      operation: command,
      target: service === 'sqs' ? queueName(input.QueueUrl) : dynamoTarget(input),
      ok,
      counts: request.counts,
      runs: [...request.runs].map(([run, job]) => ({ run, job })),
      jobs: [...request.jobs],
      write: service === 'dynamodb' && (WRITES.has(command) || command === 'BatchWriteItem'),
      query: command === 'Query' || command === 'Scan',
    };
    if (request.received) record.received = request.received;
    if (request.settled) record.settled = request.settled;
    this.log.push(record);
  }

  private keyOf(table: TableDef, item: Item): string | undefined {
    const parts: string[] = [];
    for (const name of [table.key.partitionKey, table.key.sortKey]) {
      if (name === undefined) continue;
      const value = item[name];
      if (!value) return undefined;
      const [, raw] = Object.entries(value)[0] ?? [];
      if (raw === undefined) return undefined;
      parts.push(String(raw));
    }
    return `${table.name}\u0000${parts.join('\u0000')}`;
  }

  private keyItem(table: TableDef, item: Item): Item {
    const key: Item = {};
    for (const name of [table.key.partitionKey, table.key.sortKey]) {
      if (name !== undefined && item[name]) key[name] = item[name];
    }
    return key;
  }

  /** Names the runs and jobs of the items a DynamoDB request touches (keys sent, items found). */
  private nameDynamo(request: Pending, command: string, input: Input, output: Output): void {
    if (!this.resolver) return;
    const name = (table: unknown, item: unknown) => {
      if (item && typeof item === 'object')
        request.name(this.resolver?.ofItem(String(table), item as Record<string, unknown>));
    };
    if (command === 'BatchGetItem') {
      const requests = (input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>;
      for (const [table, { Keys = [] }] of Object.entries(requests)) for (const key of Keys) name(table, key);
      return;
    }
    if (command === 'BatchWriteItem') {
      const requests = (input.RequestItems ?? {}) as Record<string, BatchWriteRequest[]>;
      for (const [table, list] of Object.entries(requests)) {
        for (const r of list) name(table, r.PutRequest?.Item ?? r.DeleteRequest?.Key);
      }
      return;
    }
    if (command === 'Query' || command === 'Scan') {
      for (const item of (output.Items as unknown[] | undefined) ?? []) name(input.TableName, item);
      return;
    }
    name(input.TableName, input.Item ?? input.Key);
  }

  /** AWS bills a write whose condition failed (the larger of the stored and the sent item); no index moves. */
  private chargeFailedCondition(request: Pending, command: string, input: Input): void {
    const table = this.tables.get(String(input.TableName));
    if (!table || !WRITES.has(command)) return;
    const sent = (input.Item ?? input.Key) as Item | undefined;
    const key = sent ? this.keyOf(table, sent) : undefined;
    const stored = key ? this.items.get(key) : undefined;
    const sentSize = command === 'PutItem' && sent ? shapeOf(sent, []).size : 0;
    const units = writeUnitsFor(Math.max(stored?.size ?? 0, sentSize));
    bump(request.counts, `ddb.wru.conditionFailed.${table.name}`, units);
    bump(request.counts, 'ddb.conditionFailed', 1);
  }

  private async dynamoSucceeded(
    request: Pending,
    command: string,
    input: Input,
    output: Output,
    returnedNewImage: boolean,
  ): Promise<void> {
    this.nameDynamo(request, command, input, output);
    const reported = output.ConsumedCapacity as
      | { CapacityUnits?: number; TableName?: string }
      | { CapacityUnits?: number; TableName?: string }[]
      | undefined;
    const reportedUnits = (Array.isArray(reported) ? reported : reported ? [reported] : []).reduce(
      (sum, c) => sum + (c.CapacityUnits ?? 0),
      0,
    );
    if (READS.has(command)) {
      // Reads: dynalite applies the billing rules (4 KB units, half for eventually consistent, index vs table).
      if (command === 'BatchGetItem') {
        this.batchRead(request, input, Array.isArray(reported) ? reported : reported ? [reported] : []);
        return;
      }
      const target = input.IndexName
        ? `${String(input.TableName)}/${String(input.IndexName)}`
        : input.TableName;
      bump(request.counts, `ddb.rru.${String(target)}`, reportedUnits);
      return;
    }
    if (command === 'BatchWriteItem') {
      this.batchWritten(request, input, output);
      return;
    }
    if (!WRITES.has(command)) {
      if (reportedUnits > 0) bump(request.counts, `ddb.wru.other.${command}`, reportedUnits);
      return;
    }
    bump(request.counts, 'ddb.reportedTableWru', reportedUnits);
    const table = this.tables.get(String(input.TableName));
    if (!table) {
      bump(request.counts, 'ddb.unmeteredWrites', 1);
      return;
    }
    const sent = (input.Item ?? input.Key) as Item;
    let after: Item | undefined;
    if (command === 'PutItem') after = sent;
    else if (command === 'UpdateItem') {
      const attributes = returnedNewImage || input.ReturnValues === 'ALL_NEW' ? output.Attributes : undefined;
      if (attributes && typeof attributes === 'object') {
        const image = attributes as Record<string, unknown>;
        after = (
          isMarshalled(image, table.key.partitionKey)
            ? image
            : marshall(image, { removeUndefinedValues: true, convertClassInstanceToMap: true })
        ) as Item;
      } else if (this.readBack) {
        // The caller asked for another image (UPDATED_NEW, ALL_OLD, …): read the new one back, uncounted.
        after = await this.readBack(table.name, this.keyItem(table, sent));
        bump(request.counts, 'ddb.meterReadBacks', 1);
      } else bump(request.counts, 'ddb.unmeteredWrites', 1);
    }
    this.itemWritten(request, table, sent, after);
  }

  /** Charges one item write (a put, an update or a delete: `after` absent) with the rules of capacity.ts. */
  private itemWritten(request: Pending, table: TableDef, sent: Item, after: Item | undefined): void {
    const key = this.keyOf(table, sent);
    if (!key) {
      bump(request.counts, 'ddb.unmeteredWrites', 1);
      return;
    }
    const before = this.items.get(key);
    const shape = after ? shapeOf(after, table.indexes, table.key) : undefined;
    if (shape) this.items.set(key, shape);
    else this.items.delete(key);
    const cost = writeCost(before, shape, table.indexes);
    bump(request.counts, `ddb.wru.table.${table.name}`, cost.table);
    for (const [index, units] of Object.entries(cost.indexes)) {
      bump(request.counts, `ddb.wru.index.${table.name}/${index}`, units);
    }
  }

  /**
   * A BatchGetItem's read units go to the tables it read (each table's capacity is provisioned
   * apart): per table as reported; units reported without a table are split over the tables by
   * the keys asked of each.
   */
  private batchRead(
    request: Pending,
    input: Input,
    reported: { CapacityUnits?: number; TableName?: string }[],
  ): void {
    const keys = Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).map(
      ([table, { Keys = [] }]) => [table, Keys.length] as const,
    );
    const asked = keys.reduce((sum, [, n]) => sum + n, 0);
    for (const { CapacityUnits = 0, TableName } of reported) {
      if (TableName !== undefined) bump(request.counts, `ddb.rru.${TableName}`, CapacityUnits);
      else
        for (const [table, n] of keys) bump(request.counts, `ddb.rru.${table}`, (CapacityUnits * n) / asked);
    }
  }

  /** Each put or delete of a batch is billed as its own write; unprocessed ones were not written. */
  private batchWritten(request: Pending, input: Input, output: Output): void {
    const requests = (input.RequestItems ?? {}) as Record<string, BatchWriteRequest[]>;
    const unprocessed = (output.UnprocessedItems ?? {}) as Record<string, BatchWriteRequest[]>;
    for (const [name, list] of Object.entries(requests)) {
      const table = this.tables.get(name);
      if (!table) {
        bump(request.counts, 'ddb.unmeteredWrites', list.length);
        continue;
      }
      const left = new Set(
        (unprocessed[name] ?? []).map((r) => {
          const item = (r.PutRequest?.Item ?? r.DeleteRequest?.Key) as Item | undefined;
          return item ? this.keyOf(table, item) : undefined;
        }),
      );
      for (const r of list) {
        const item = (r.PutRequest?.Item ?? r.DeleteRequest?.Key) as Item | undefined;
        if (!item || left.has(this.keyOf(table, item))) continue;
        this.itemWritten(request, table, item, r.PutRequest ? item : undefined);
      }
    }
  }

  private messageRun(body: string | undefined): { run: string; job: string } | undefined {
    const subject = body === undefined ? undefined : this.resolver?.ofMessage(body);
    return subject !== undefined && 'run' in subject
      ? { run: String(subject.run), job: subject.job }
      : undefined;
  }

  /** Names the runs of the messages a queue request sends, receives or (when it succeeded) settles. */
  private nameSqs(request: Pending, command: string, input: Input, output: Output, ok = true): void {
    if (command === 'SendMessageBatch') {
      for (const e of (input.Entries as { MessageBody?: string }[] | undefined) ?? []) {
        request.name(e.MessageBody === undefined ? undefined : this.resolver?.ofMessage(e.MessageBody));
      }
    } else if (command === 'SendMessage') {
      request.name(this.resolver?.ofMessage(String(input.MessageBody ?? '')));
    } else if (command === 'ReceiveMessage') {
      const received: string[] = [];
      for (const m of (output.Messages as { Body?: string; ReceiptHandle?: string }[] | undefined) ?? []) {
        const subject = this.messageRun(m.Body);
        if (subject === undefined) continue;
        received.push(subject.run);
        request.name(subject);
        if (m.ReceiptHandle) this.receipts.set(m.ReceiptHandle, subject);
      }
      request.received = received;
    } else {
      // DeleteMessage(Batch), ChangeMessageVisibility(Batch): by receipt handle.
      // A batch entry SQS refused (`Failed`) did not delete its message.
      const failed = new Set(((output.Failed as { Id?: string }[] | undefined) ?? []).map((f) => f.Id));
      const handles = input.ReceiptHandle
        ? [{ handle: String(input.ReceiptHandle), done: true }]
        : ((input.Entries as { Id?: string; ReceiptHandle?: string }[] | undefined) ?? []).map((e) => ({
            handle: e.ReceiptHandle ?? '',
            done: !failed.has(e.Id),
          }));
      const deleting = ok && command.startsWith('DeleteMessage');
      const settled: string[] = [];
      for (const { handle, done } of handles) {
        const subject = this.receipts.get(handle);
        if (subject === undefined) continue;
        request.name(subject);
        if (deleting && done) {
          settled.push(subject.run);
          this.receipts.delete(handle);
        }
      }
      if (deleting) request.settled = settled;
    }
  }

  private sqsSucceeded(
    request: Pending,
    command: string,
    input: Input,
    output: Output,
    sentAt: number,
  ): void {
    this.nameSqs(request, command, input, output);
    const payload = (bodies: string[]) => bodies.reduce((sum, b) => sum + Buffer.byteLength(b, 'utf8'), 0);
    let billed = 1;
    if (command === 'SendMessageBatch') {
      const entries = (input.Entries as SentEntry[] | undefined) ?? [];
      bump(request.counts, 'sqs.messagesSent', entries.length);
      billed = Math.max(1, Math.ceil(payload(entries.map((e) => e.MessageBody ?? '')) / SQS_CHUNK_BYTES));
      // Entries SQS refused were not sent (the sender tries them again in a later request).
      const failed = new Set(((output.Failed as { Id?: string }[] | undefined) ?? []).map((f) => f.Id));
      for (const e of entries)
        if (!failed.has(e.Id))
          countResidual(request.counts, e, sentAt, this.now(), this.handOverAheadSeconds);
    } else if (command === 'SendMessage') {
      bump(request.counts, 'sqs.messagesSent', 1);
      billed = Math.max(1, Math.ceil(payload([String(input.MessageBody ?? '')]) / SQS_CHUNK_BYTES));
      countResidual(request.counts, input as SentEntry, sentAt, this.now(), this.handOverAheadSeconds);
    } else if (command === 'ReceiveMessage') {
      const messages = (output.Messages as { Body?: string }[] | undefined) ?? [];
      if (messages.length === 0) bump(request.counts, 'sqs.emptyReceives');
      else bump(request.counts, 'sqs.nonEmptyReceives');
      bump(request.counts, 'sqs.messagesReceived', messages.length);
      billed = Math.max(1, Math.ceil(payload(messages.map((m) => m.Body ?? '')) / SQS_CHUNK_BYTES));
    }
    bump(request.counts, 'sqs.billedRequests', billed);
  }
}

interface SentEntry {
  Id?: string;
  MessageBody?: string;
  DelaySeconds?: number;
}

/** The `scheduledAt` of a run message's body, epoch ms, and whether it asks for a first scheduled attempt; undefined for other messages. */
function runOf(body: string | undefined): { scheduledAt: number; firstScheduled: boolean } | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed = JSON.parse(body) as { scheduledAt?: unknown; trigger?: unknown; attempt?: unknown };
    const at = typeof parsed.scheduledAt === 'string' ? Date.parse(parsed.scheduledAt) : Number.NaN;
    if (!Number.isFinite(at)) return undefined;
    return { scheduledAt: at, firstScheduled: parsed.trigger === 'schedule' && parsed.attempt === 1 };
  } catch {
    return undefined;
  }
}

/**
 * The DelaySeconds AWS would have given a message the local run queues sent `leadSeconds` early:
 * the lead back on, or (where the lead took the delay down to 0) the whole seconds left until due.
 */
export function awsDelaySeconds(
  sent: number,
  scheduledAt: number,
  sentAt: number,
  leadSeconds: number,
): number {
  if (leadSeconds <= 0) return sent;
  if (sent > 0) return sent + leadSeconds;
  return Math.max(0, Math.floor((scheduledAt - sentAt) / 1000));
}

/**
 * Counts a sent run message's residual: `scheduledAt − (sent + DelaySeconds × 1000)`, at least 0.
 * A message sent before it was due whose answer came back only after `scheduledAt − DelaySeconds`
 * may have become visible after it was due: counted as `sqs.residual.late` (and by how much at
 * most, `sqs.residual.lateMs`).
 */
function countResidual(
  counts: Counts,
  entry: SentEntry,
  sentAt: number,
  answeredAt: number,
  handOverAheadSeconds: number,
): void {
  const run = runOf(entry.MessageBody);
  if (run === undefined) return;
  const { scheduledAt } = run;
  const lead = run.firstScheduled ? handOverAheadSeconds : 0;
  const delayMs = awsDelaySeconds(entry.DelaySeconds ?? 0, scheduledAt, sentAt, lead) * 1000;
  const residual = Math.max(0, scheduledAt - (sentAt + delayMs));
  bump(counts, 'sqs.residual.messages');
  bump(counts, 'sqs.residual.ms', residual);
  const bin = Math.ceil(residual / RESIDUAL_BIN_MS) * RESIDUAL_BIN_MS;
  bump(counts, `sqs.residual.bin.${bin}`);
  const lateBy = answeredAt + delayMs - scheduledAt;
  if (sentAt < scheduledAt && lateBy > 0) {
    bump(counts, 'sqs.residual.late');
    bump(counts, 'sqs.residual.lateMs', lateBy);
  }
}

interface BatchWriteRequest {
  PutRequest?: { Item?: unknown };
  DeleteRequest?: { Key?: unknown };
}

function dynamoTarget(input: Input): string {
  if (input.TableName !== undefined) {
    return input.IndexName
      ? `${String(input.TableName)}/${String(input.IndexName)}`
      : String(input.TableName);
  }
  return Object.keys((input.RequestItems ?? {}) as Record<string, unknown>).join(',');
}
