import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRows } from '../../lambdas/adapters/archive-codec.js';
import { executionOfItem } from '../../lambdas/adapters/dynamo-execution-items.js';
import { DynamoExecutionStore } from '../../lambdas/adapters/dynamo-execution-store.js';
import { FileArchiveStore } from '../../lambdas/adapters/file-archive-store.js';
import { ObjectHistoryArchive } from '../../lambdas/adapters/object-history-archive.js';
import { archiveStreamBatch } from '../../lambdas/archiver/stream-batch.js';
import type { ArchiveStore } from '../../lambdas/core/ports/archive-store.js';
import { dynamoClient, type Emulator, startDynamo } from '../../local/emulators.js';
import { ensureTables } from '../../local/tables.js';
import { TtlSweeper } from '../../local/ttl-sweeper.js';
import type { ExecutionRecord } from '../../schemas/records.js';
import type { StreamRecord } from '../../schemas/stream.js';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { FakeClock } from '../support/memory.js';
import { MemoryArchiveStore } from '../support/memory-archive-store.js';
import { tempDataDir } from '../support/runtime.js';
import { silentLogger } from '../support/services.js';
import { waitFor } from '../support/sink.js';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const data = tempDataDir();
let emulator: Emulator;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  emulator = await startDynamo(data.dir);
  raw = dynamoClient(emulator.endpoint);
  doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
});

afterAll(async () => {
  await emulator?.stop();
  data.remove();
});

/** A fresh Executions table per test, so counts are exact. */
async function freshTable(): Promise<{ table: string; store: DynamoExecutionStore }> {
  const names = { jobs: `jobs-${++tables}`, executions: `executions-${tables}` };
  await ensureTables(raw, names);
  // dynalite turns a new table ACTIVE on a timer; a write before that is ResourceNotFound (seen on a busy machine).
  await waitFor(
    async () =>
      (await raw.send(new DescribeTableCommand({ TableName: names.executions }))).Table?.TableStatus ===
      'ACTIVE',
    10_000,
    `table ${names.executions} to be ACTIVE`,
  );
  return { table: names.executions, store: new DynamoExecutionStore(doc, names.executions) };
}

/** The archiver's stream-batch code over a store, remembering every record it was given. */
function archiverOver(store: ArchiveStore) {
  const received: StreamRecord[] = [];
  const archive = new ObjectHistoryArchive(store);
  const archiver = (records: StreamRecord[]) => {
    received.push(...records);
    return archiveStreamBatch(archive, records, silentLogger);
  };
  return { archive, archiver, received };
}

/** Every row a memory store's objects hold. */
const rowsIn = (store: MemoryArchiveStore) =>
  store.keys().flatMap((key) => decodeRows(store.objects.get(key)!, key));

const job = 'job_01JSWEEPER0000000000000000';
const expiring = (minute: number, expiresAt: number): ExecutionRecord =>
  aFinishedExecution(job, new Date(Date.UTC(2026, 2, 8, 10, minute)).toISOString(), { expiresAt });

describe('TtlSweeper', () => {
  it('deletes what expired, archives its old image as an AWS-shaped TTL removal, and leaves the rest', async () => {
    // Prepare
    const { table, store } = await freshTable();
    const nowSeconds = NOW / 1000;
    const gone = [expiring(1, nowSeconds - 10), expiring(2, nowSeconds)];
    const kept = expiring(3, nowSeconds + 1);
    const { expiresAt: _e, finishedAt: _f, ...running } = expiring(4, 0);
    const running4 = { ...running, status: 'running' as const };
    for (const item of [...gone, kept, running4]) await store.createExecution(item);
    const { archive, archiver, received } = archiverOver(
      new FileArchiveStore(`${data.dir}/archive-${table}`),
    );
    const sweeper = new TtlSweeper({
      client: raw,
      table,
      archiver,
      clock: new FakeClock(NOW),
      intervalMs: 60_000,
      log: silentLogger,
    });

    // Act
    const report = await sweeper.sweep();

    // Assess
    expect(report).toEqual({ deleted: 2, archived: 2, retrying: 0 });
    for (const item of gone) expect(await store.getExecution(item.executionId)).toBeNull();
    expect(await store.getExecution(kept.executionId)).toEqual(kept);
    expect(await store.getExecution(running4.executionId)).toEqual(running4);
    const archived = await archive.jobSlice({ tenant: 'team-a', jobId: job, filter: {}, limit: 10 });
    expect(archived.items.map((e) => e.executionId)).toEqual([gone[1]!.executionId, gone[0]!.executionId]);

    const records = received;
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({
        eventName: 'REMOVE',
        eventSource: 'aws:dynamodb',
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
        dynamodb: { StreamViewType: 'OLD_IMAGE' },
      });
      expect(record.dynamodb.SequenceNumber).toMatch(/^\d{24}$/);
    }
    expect(
      records
        .map((r) => executionOfItem(unmarshall(r.dynamodb.OldImage as never)))
        .sort((a, b) => (a.executionId < b.executionId ? -1 : 1)),
    ).toEqual(gone);
    expect(records[0]!.dynamodb.SequenceNumber < records[1]!.dynamodb.SequenceNumber).toBe(true);

    // Nothing is left to sweep.
    expect(await sweeper.sweep()).toEqual({ deleted: 0, archived: 0, retrying: 0 });
  });

  it('does not delete an item that stopped being expired between the scan and the delete', async () => {
    const { table, store } = await freshTable();
    const item = expiring(5, NOW / 1000 - 1);
    await store.createExecution(item);
    // A dead-letter replay puts the execution back in play (no expiresAt) right as the sweeper reaches it.
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof DeleteItemCommand) {
          const { expiresAt: _e, ...replayed } = item;
          await doc.send(
            new PutCommand({ TableName: table, Item: { ...replayed, status: 'queued', rev: item.rev + 1 } }),
          );
        }
        return raw.send(command as never);
      },
    } as unknown as DynamoDBClient;
    const store2 = new MemoryArchiveStore();
    const sweeper = new TtlSweeper({
      client: racing,
      table,
      archiver: archiverOver(store2).archiver,
      clock: new FakeClock(NOW),
      intervalMs: 60_000,
      log: silentLogger,
    });
    expect(await sweeper.sweep()).toEqual({ deleted: 0, archived: 0, retrying: 0 });
    expect((await store.getExecution(item.executionId))?.status).toBe('queued');
    expect(store2.objects.size).toBe(0);
  });

  it('keeps what it deleted but could not archive, and archives it on the next sweep', async () => {
    const { table, store } = await freshTable();
    const item = expiring(6, NOW / 1000 - 1);
    await store.createExecution(item);
    const archive = new MemoryArchiveStore();
    let down = true;
    archive.before = () => {
      if (down) throw new Error('disk full');
    };
    const sweeper = new TtlSweeper({
      client: raw,
      table,
      archiver: archiverOver(archive).archiver,
      clock: new FakeClock(NOW),
      intervalMs: 60_000,
      log: silentLogger,
    });
    expect(await sweeper.sweep()).toEqual({ deleted: 1, archived: 0, retrying: 1 });
    expect(await store.getExecution(item.executionId)).toBeNull();
    down = false;
    expect(await sweeper.sweep()).toEqual({ deleted: 0, archived: 1, retrying: 0 });
    expect(rowsIn(archive).map((r) => r.executionId)).toEqual([item.executionId]);
  });

  it('archives after a restart what the previous process deleted but had not archived (kill -9)', async () => {
    // Prepare: the first process deletes an expired execution, then dies before the archive has it
    // (here: every write fails, and the process is dropped without stop()).
    const { table, store } = await freshTable();
    const swept = expiring(7, NOW / 1000 - 1);
    const stillHot = expiring(8, NOW / 1000 + 3600);
    await store.createExecution(swept);
    await store.createExecution(stillHot);
    const journalPath = join(data.dir, `journal-${table}.json`);
    const down = new MemoryArchiveStore();
    down.before = () => {
      throw new Error('killed');
    };
    const first = new TtlSweeper({
      client: raw,
      table,
      archiver: archiverOver(down).archiver,
      clock: new FakeClock(NOW),
      intervalMs: 60_000,
      log: silentLogger,
      journalPath,
    });
    expect(await first.sweep()).toEqual({ deleted: 1, archived: 0, retrying: 1 });
    expect(await store.getExecution(swept.executionId)).toBeNull();
    // A journal entry of an item that was never deleted (the crash came before its delete).
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { key: unknown; image: unknown }[];
    const hotImage = marshall(stillHot);
    journal.push({ key: { jobId: hotImage.jobId, scheduledAt: hotImage.scheduledAt }, image: hotImage });
    writeFileSync(journalPath, JSON.stringify(journal));

    // Act: the next process, nothing in memory.
    const archive = new MemoryArchiveStore();
    const second = new TtlSweeper({
      client: raw,
      table,
      archiver: archiverOver(archive).archiver,
      clock: new FakeClock(NOW),
      intervalMs: 60_000,
      log: silentLogger,
      journalPath,
    });
    const report = await second.sweep();

    // Assess
    expect(report).toEqual({ deleted: 0, archived: 1, retrying: 0 });
    expect(rowsIn(archive).map((r) => r.executionId)).toEqual([swept.executionId]);
    expect(await store.getExecution(stillHot.executionId)).toEqual(stillHot);
    expect(existsSync(journalPath)).toBe(false);
    expect(await second.sweep()).toEqual({ deleted: 0, archived: 0, retrying: 0 });
  });
});
