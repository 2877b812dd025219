import { describe, expect, it } from 'vitest';
import { decodeRows } from '../../lambdas/adapters/archive-codec.js';
import { STAGING_PREFIX } from '../../lambdas/adapters/archive-layout.js';
import { ObjectHistoryArchive } from '../../lambdas/adapters/object-history-archive.js';
import {
  archiveStreamBatch,
  executionOfStreamImage,
  isTtlRemoval,
} from '../../lambdas/archiver/stream-batch.js';
import { archiveRowOf } from '../../lambdas/services/history/archive-rows.js';
import type { StreamRecord } from '../../schemas/stream.js';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { MemoryArchiveStore } from '../support/memory-archive-store.js';
import { silentLogger } from '../support/services.js';
import { ttlRemoval, userRemoval } from '../support/stream-records.js';

const JOB_A = 'job_01JARCHIVEA000000000000000';
const JOB_B = 'job_01JARCHIVEB000000000000000';
const exec = (jobId: string, scheduledAt: string) => aFinishedExecution(jobId, scheduledAt);

function setup() {
  const store = new MemoryArchiveStore();
  return { store, archive: new ObjectHistoryArchive(store) };
}

/** A batch of TTL removals over two jobs and two dates, removed at 10:00, 10:01, … on 7 June. */
function aBatch(): StreamRecord[] {
  return [
    exec(JOB_A, '2026-03-08T10:00:00.000Z'),
    exec(JOB_B, '2026-03-08T10:00:00.000Z'),
    exec(JOB_A, '2026-03-08T11:00:00.000Z'),
    exec(JOB_A, '2026-03-09T00:00:00.000Z'),
  ].map((item, i) => {
    const record = ttlRemoval(item, String(100 + i));
    record.dynamodb.ApproximateCreationDateTime = Date.parse('2026-06-07T10:00:00.000Z') / 1000 + 60 * i;
    return record;
  });
}

describe('archiver stream batch', () => {
  it('knows a TTL removal: a REMOVE made by DynamoDB itself', () => {
    const item = exec(JOB_A, '2026-03-08T10:00:00.000Z');
    expect(isTtlRemoval(ttlRemoval(item, '1'))).toBe(true);
    expect(isTtlRemoval(userRemoval(item, '1'))).toBe(false);
    expect(isTtlRemoval({ ...ttlRemoval(item, '1'), eventName: 'MODIFY' })).toBe(false);
    expect(
      isTtlRemoval({ ...ttlRemoval(item, '1'), userIdentity: { type: 'Service', principalId: 'someone' } }),
    ).toBe(false);
  });

  it('reads a stream image back as the stored execution, and refuses a record without one', () => {
    const item = exec(JOB_A, '2026-03-08T10:00:00.000Z');
    expect(executionOfStreamImage(ttlRemoval(item, '1'))).toEqual(item);
    const { OldImage: _o, ...noImage } = ttlRemoval(item, '1').dynamodb;
    expect(() => executionOfStreamImage({ ...ttlRemoval(item, '1'), dynamodb: noImage })).toThrow(
      /OLD_IMAGE/,
    );
  });

  it('stages the whole batch as one object under the hour of its first removal, as the API showed the executions', async () => {
    // Prepare
    const { store, archive } = setup();
    // Act
    const report = await archiveStreamBatch(archive, aBatch(), silentLogger);
    // Assess
    expect(report).toEqual({ batchItemFailures: [], archived: 4, objects: 1, ignored: 0, unreadable: 0 });
    const [key] = store.keys(STAGING_PREFIX);
    expect(store.keys()).toHaveLength(1);
    expect(key).toMatch(/^executions\/staging\/date=2026-06-07\/hour=10\//);
    const rows = decodeRows(store.objects.get(key!)!, key!);
    expect(rows).toContainEqual(archiveRowOf(exec(JOB_B, '2026-03-08T10:00:00.000Z')));
    expect(rows).toHaveLength(4);
  });

  it('names the partition after the TTL instant when the record carries no creation time', async () => {
    const { store, archive } = setup();
    const item = {
      ...exec(JOB_A, '2026-03-08T10:00:00.000Z'),
      expiresAt: Date.parse('2026-06-05T23:30:00Z') / 1000,
    };
    const record = ttlRemoval(item, '7');
    delete record.dynamodb.ApproximateCreationDateTime;
    await archiveStreamBatch(archive, [record], silentLogger);
    expect(store.keys()[0]).toMatch(/\/date=2026-06-05\/hour=23\//);
  });

  it('ignores what is not a TTL removal, and drops an image that is not an execution instead of blocking the shard', async () => {
    const { store, archive } = setup();
    const item = exec(JOB_A, '2026-03-08T10:00:00.000Z');
    const garbage = ttlRemoval(item, '9');
    garbage.dynamodb.OldImage = { executionId: { S: 'x' } };
    const report = await archiveStreamBatch(
      archive,
      [userRemoval(item, '1'), { ...ttlRemoval(item, '2'), eventName: 'INSERT' }, garbage, ...aBatch()],
      silentLogger,
    );
    expect(report).toMatchObject({
      archived: 4,
      objects: 1,
      ignored: 2,
      unreadable: 1,
      batchItemFailures: [],
    });
    expect(store.keys()).toHaveLength(1);
    const none = await archiveStreamBatch(archive, [userRemoval(item, '1')], silentLogger);
    expect(none).toMatchObject({ archived: 0, objects: 0, ignored: 1 });
    expect(store.calls.put).toBe(1);
  });

  it('reports every removal when the write fails, and the batch delivered again makes no duplicate', async () => {
    const { store, archive } = setup();
    store.before = () => {
      throw new Error('SlowDown');
    };
    const failed = await archiveStreamBatch(archive, aBatch(), silentLogger);
    expect(failed.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['100', '101', '102', '103']);
    expect(failed).toMatchObject({ archived: 0, objects: 0 });

    store.before = () => {};
    await archiveStreamBatch(archive, aBatch(), silentLogger);
    await archiveStreamBatch(archive, aBatch(), silentLogger);
    expect(store.keys()).toHaveLength(1);
    const history = await archive.jobSlice({ tenant: 'team-a', jobId: JOB_A, filter: {}, limit: 10 });
    expect(history.items.map((r) => r.scheduledAt)).toEqual([
      '2026-03-09T00:00:00.000Z',
      '2026-03-08T11:00:00.000Z',
      '2026-03-08T10:00:00.000Z',
    ]);
  });
});
