import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  ScanCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_HAND_OVER_AHEAD_SECONDS } from '../local/early-delivery.js';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../local/runtime.js';
import { type IndexDef, type Item, itemSize, type Projection, projectedItem } from './capacity.js';
import { startLoadThread } from './load-thread.js';
import { AwsMeter, type MiddlewareHost, type TableDef } from './meter.js';
import type { BenchSink } from './sink.js';
import { subjectResolver } from './subjects.js';

export const API_KEY = 'bench-key';
export const TENANT = 'bench';
export const JOBS_TABLE = 'scheduler-jobs';
export const EXECUTIONS_TABLE = 'scheduler-executions';

export type Priority = 'high' | 'normal' | 'low';

/** The emulators accept any credentials; the region must be a real one. */
const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** Errors only, on stderr: the runtime's log without the per-run lines. */
const quietLog: NonNullable<LocalRuntimeOptions['log']> = {
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, extra?: Record<string, unknown>) =>
    process.stderr.write(
      `${new Date().toISOString()} error ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}\n`,
    ),
};

function projectionOf(
  description: { ProjectionType?: string; NonKeyAttributes?: string[] } | undefined,
): Projection {
  if (description?.ProjectionType === 'KEYS_ONLY') return { type: 'KEYS_ONLY' };
  if (description?.ProjectionType === 'INCLUDE')
    return { type: 'INCLUDE', attributes: description.NonKeyAttributes ?? [] };
  return { type: 'ALL' };
}

/** A table's key, GSIs and their projections as the write arithmetic needs them. */
export function tableDefOf(table: TableDescription): TableDef {
  const keyOf = (schema: { AttributeName?: string; KeyType?: string }[] = []) => {
    const partitionKey = schema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
    const sortKey = schema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    return sortKey ? { partitionKey, sortKey } : { partitionKey };
  };
  const indexes: IndexDef[] = (table.GlobalSecondaryIndexes ?? []).map((index) => ({
    name: index.IndexName ?? '',
    ...keyOf(index.KeySchema),
    projection: projectionOf(index.Projection),
  }));
  return { name: table.TableName ?? '', key: keyOf(table.KeySchema), indexes };
}

/**
 * The tables as the emulator holds them (DescribeTable), not as the bench believes they are: a
 * change of key schema, index or projection in the scheduler is metered without touching the bench.
 */
export async function describeTables(client: DynamoDBClient): Promise<TableDef[]> {
  const names = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  const tables: TableDef[] = [];
  for (const name of names) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table) tables.push(tableDefOf(Table));
  }
  return tables;
}

export interface ApiResult {
  status: number;
  ms: number;
  body: unknown;
}

export interface Bench {
  runtime: LocalRuntime;
  sink: BenchSink;
  meter: AwsMeter;
  /** One HTTP call to the API; `ms` is request to full response on this machine. */
  api(method: string, path: string, body?: unknown): Promise<ApiResult>;
  /** The tables' keys, indexes and projections, read from the emulator. */
  tables: TableDef[];
  /** Clients on the same emulators that the meter does not count (the bench's own measurements). */
  probe: { dynamo: DynamoDBClient; sqs: SQSClient };
  queueDepth(priority?: Priority): Promise<{ visible: number; inFlight: number; delayed: number }>;
  stop(): Promise<void>;
}

async function endpointOf(client: { config: { endpoint?: unknown } }): Promise<string> {
  const provider = client.config.endpoint as
    | (() => Promise<{ protocol: string; hostname: string; port?: number }>)
    | undefined;
  const endpoint = await provider!();
  return `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`;
}

/**
 * The local runtime on a fresh temporary data directory, with the counting middleware on its SDK
 * clients, plus a real HTTP sink on loopback. The emulators run in worker threads as under
 * `npm start`; `threads` keeps one on the scheduler's event loop (`--inline-dynamo`, `--inline-sqs`).
 */
export async function startBench(
  overrides: Partial<LocalRuntimeOptions> = {},
  threads: { dynamo?: boolean; sqs?: boolean } = {},
): Promise<Bench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'scheduler-bench-'));
  const meter = new AwsMeter({
    handOverAheadSeconds: overrides.handOverAheadSeconds ?? LOCAL_HAND_OVER_AHEAD_SECONDS,
  });
  const load = await startLoadThread();
  const { sink } = load;
  let ddb: DynamoDBClient | undefined;
  const runtime = await startLocalRuntime({
    emulatorThreads: threads,
    port: 0,
    dataDir,
    apiKeys: new Map([[API_KEY, TENANT]]),
    targetAllowlist: ['127.0.0.0/8'],
    signingSecrets: { '*': ['bench-signing-secret'] },
    // TTL deletion is free in AWS; keep the emulated sweeper's table scans out of the figures.
    sweepIntervalMs: 24 * 3600 * 1000,
    shutdownGraceMs: 5000,
    // One tenant carries the whole load here: its quotas (docs/security.md) would cap the benchmark.
    limits: {
      maxJobsPerTenant: 10_000_000,
      maxExecutionsPerTenantPerMinute: 10_000_000,
      apiRatePerSecond: 1_000_000,
      apiBurst: 1_000_000,
    },
    log: quietLog,
    instrumentClient: (client, service) => {
      if (service === 'dynamodb') ddb = client as DynamoDBClient;
      meter.attach(client as unknown as MiddlewareHost, service);
    },
    ...overrides,
  });
  const probe = {
    dynamo: new DynamoDBClient({ ...LOCAL_AWS, endpoint: await endpointOf(ddb!) }),
    sqs: new SQSClient({ ...LOCAL_AWS, endpoint: await endpointOf(runtime.queues.client) }),
  };
  const tables = await describeTables(probe.dynamo);
  const executions = tables.find((t) => t.name === EXECUTIONS_TABLE);
  meter.configure({
    tables,
    resolver: subjectResolver({
      jobs: JOBS_TABLE,
      executions: EXECUTIONS_TABLE,
      executionKey: [executions?.key.partitionKey, executions?.key.sortKey].filter((k): k is string => !!k),
    }),
    readBack: async (table, key) =>
      (
        await probe.dynamo.send(
          new GetItemCommand({ TableName: table, Key: key as never, ConsistentRead: true }),
        )
      ).Item as Item | undefined,
  });
  const api = async (method: string, path: string, body?: unknown): Promise<ApiResult> => {
    const { status, ms, text } = await load.request(
      method,
      `${runtime.url}${path}`,
      { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body === undefined ? undefined : JSON.stringify(body),
    );
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status, ms, body: parsed };
  };
  return {
    runtime,
    sink,
    meter,
    api,
    tables,
    probe,
    queueDepth: async (priority = 'normal') => {
      const out = await probe.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: runtime.queues.urls[priority],
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const a = out.Attributes ?? {};
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },
    stop: async () => {
      await runtime.stop();
      await sink.close();
      probe.dynamo.destroy();
      probe.sqs.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TableSize {
  items: number;
  bytes: number;
  /** Items per GSI (sparse indexes hold only some). */
  indexItems: Record<string, number>;
  /** Billed bytes of the entries each GSI holds (its projection of the items, keys included). */
  indexBytes: Record<string, number>;
  /** Items that are not jobs/executions (watermarks, slots). */
  otherItems: number;
}

/** Item count, billed bytes and index membership of a table, by a full scan on the probe client. */
export async function tableSize(
  bench: Bench,
  table: TableDef,
  isEntity: (item: Item) => boolean,
): Promise<TableSize> {
  const size: TableSize = { items: 0, bytes: 0, indexItems: {}, indexBytes: {}, otherItems: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    const out = await bench.probe.dynamo.send(
      new ScanCommand({ TableName: table.name, ExclusiveStartKey: start as never, Limit: 1000 }),
    );
    for (const raw of out.Items ?? []) {
      const item = raw as unknown as Item;
      if (!isEntity(item)) {
        size.otherItems++;
        continue;
      }
      size.items++;
      size.bytes += itemSize(item);
      for (const index of table.indexes) {
        if (item[index.partitionKey] && (!index.sortKey || item[index.sortKey])) {
          size.indexItems[index.name] = (size.indexItems[index.name] ?? 0) + 1;
          size.indexBytes[index.name] =
            (size.indexBytes[index.name] ?? 0) + itemSize(projectedItem(item, index, table.key));
        }
      }
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return size;
}
