import { marshall } from '@aws-sdk/util-dynamodb';
import { type IndexDef, type Item, type ItemShape, shapeOf, writeCost, writeUnitsFor } from './capacity.js';

/**
 * Counting middleware for the SDK clients of the local runtime: calls per command, DynamoDB
 * read/write units (base table and each GSI apart) and SQS billed requests. Counters are a flat
 * map of names to numbers so a scenario's share is `diff(after, before)`.
 */
export type Counts = Record<string, number>;

export interface TableDef {
  name: string;
  partitionKey: string;
  indexes: IndexDef[];
}

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

function isMarshalled(item: Record<string, unknown>, partitionKey: string): boolean {
  const key = item[partitionKey];
  return typeof key === 'object' && key !== null && !Array.isArray(key);
}

export class AwsMeter {
  private readonly counts: Counts = {};
  /** The last known shape of every item written through the metered client: the "before" of the next write. */
  private readonly items = new Map<string, ItemShape>();
  private readonly tables: Map<string, TableDef>;

  constructor(tables: readonly TableDef[]) {
    this.tables = new Map(tables.map((t) => [t.name, t]));
  }

  snapshot(): Counts {
    return { ...this.counts };
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
        bump(this.counts, `${prefix}.call.${command}`);
        const forced = ((context as Record<symbol, unknown>)[FORCED] as Forced | undefined) ?? {
          returnValues: false,
          capacity: false,
        };
        let result: { output: Output };
        try {
          result = await next(args);
        } catch (error) {
          bump(this.counts, `${prefix}.error.${command}`);
          if (service === 'dynamodb' && (error as Error).name === 'ConditionalCheckFailedException') {
            this.chargeFailedCondition(command, args.input);
          }
          throw error;
        }
        if (service === 'dynamodb') this.dynamoSucceeded(command, args.input, result.output);
        else this.sqsSucceeded(command, args.input, result.output);
        if (forced.capacity) delete result.output.ConsumedCapacity;
        if (forced.returnValues) delete result.output.Attributes;
        return result;
      },
      { step: 'build', name: `benchMeterBuild-${service}`, priority: 'low' },
    );
  }

  private keyOf(table: TableDef, item: Item): string | undefined {
    const key = item[table.partitionKey];
    if (!key) return undefined;
    const [, raw] = Object.entries(key)[0] ?? [];
    return raw === undefined ? undefined : `${table.name}\u0000${String(raw)}`;
  }

  /** AWS bills a write whose condition failed (the larger of the stored and the sent item); no index moves. */
  private chargeFailedCondition(command: string, input: Input): void {
    const table = this.tables.get(String(input.TableName));
    if (!table || !WRITES.has(command)) return;
    const sent = (input.Item ?? input.Key) as Item | undefined;
    const key = sent ? this.keyOf(table, sent) : undefined;
    const stored = key ? this.items.get(key) : undefined;
    const sentSize = command === 'PutItem' && sent ? shapeOf(sent, []).size : 0;
    const units = writeUnitsFor(Math.max(stored?.size ?? 0, sentSize));
    bump(this.counts, `ddb.wru.conditionFailed.${table.name}`, units);
    bump(this.counts, 'ddb.conditionFailed', 1);
  }

  private dynamoSucceeded(command: string, input: Input, output: Output): void {
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
      const target = input.IndexName
        ? `${String(input.TableName)}/${String(input.IndexName)}`
        : input.TableName;
      bump(this.counts, `ddb.rru.${String(target ?? 'batch')}`, reportedUnits);
      return;
    }
    if (!WRITES.has(command)) {
      if (reportedUnits > 0) bump(this.counts, `ddb.wru.other.${command}`, reportedUnits);
      return;
    }
    bump(this.counts, 'ddb.reportedTableWru', reportedUnits);
    const table = this.tables.get(String(input.TableName));
    if (!table) return;
    const sent = (input.Item ?? input.Key) as Item;
    const key = this.keyOf(table, sent);
    if (!key) return;
    const before = this.items.get(key);
    let after: ItemShape | undefined;
    if (command === 'PutItem') after = shapeOf(sent, table.indexes);
    else if (command === 'UpdateItem') {
      const attributes = output.Attributes as Record<string, unknown> | undefined;
      if (attributes) {
        const item = (
          isMarshalled(attributes, table.partitionKey)
            ? attributes
            : marshall(attributes, { removeUndefinedValues: true, convertClassInstanceToMap: true })
        ) as Item;
        after = shapeOf(item, table.indexes);
      }
    }
    if (after) this.items.set(key, after);
    else this.items.delete(key);
    const cost = writeCost(before, after, table.indexes);
    bump(this.counts, `ddb.wru.table.${table.name}`, cost.table);
    for (const [index, units] of Object.entries(cost.indexes)) {
      bump(this.counts, `ddb.wru.index.${table.name}/${index}`, units);
    }
  }

  private sqsSucceeded(command: string, input: Input, output: Output): void {
    const payload = (bodies: string[]) => bodies.reduce((sum, b) => sum + Buffer.byteLength(b, 'utf8'), 0);
    let billed = 1;
    if (command === 'SendMessageBatch') {
      const entries = (input.Entries as { MessageBody?: string }[] | undefined) ?? [];
      bump(this.counts, 'sqs.messagesSent', entries.length);
      billed = Math.max(1, Math.ceil(payload(entries.map((e) => e.MessageBody ?? '')) / SQS_CHUNK_BYTES));
    } else if (command === 'SendMessage') {
      bump(this.counts, 'sqs.messagesSent', 1);
      billed = Math.max(1, Math.ceil(payload([String(input.MessageBody ?? '')]) / SQS_CHUNK_BYTES));
    } else if (command === 'ReceiveMessage') {
      const messages = (output.Messages as { Body?: string }[] | undefined) ?? [];
      if (messages.length === 0) bump(this.counts, 'sqs.emptyReceives');
      else bump(this.counts, 'sqs.nonEmptyReceives');
      bump(this.counts, 'sqs.messagesReceived', messages.length);
      billed = Math.max(1, Math.ceil(payload(messages.map((m) => m.Body ?? '')) / SQS_CHUNK_BYTES));
    }
    bump(this.counts, 'sqs.billedRequests', billed);
  }
}
