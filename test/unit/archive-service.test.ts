import { describe, expect, it } from 'vitest';
import { archivedSlice } from '../../lambdas/core/history.js';
import { ArchiveService, archiveRowOf, isTtlRemoval } from '../../lambdas/services/archive-service.js';
import { silentLogger } from '../../lambdas/services/deps.js';
import type { StreamRecord } from '../../schemas/stream.js';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { MemoryHistoryArchive } from '../support/memory-archive.js';
import { ttlRemoval, userRemoval } from '../support/stream-records.js';

const JOB_A = 'job_01JARCHIVEA000000000000000';
const JOB_B = 'job_01JARCHIVEB000000000000000';
const exec = (jobId: string, scheduledAt: string) => aFinishedExecution(jobId, scheduledAt);

function setup() {
  const archive = new MemoryHistoryArchive();
  return { archive, service: new ArchiveService(archive, silentLogger) };
}

/** A batch of TTL removals over two jobs and two dates: three partitions. */
function aBatch(): StreamRecord[] {
  return [
    ttlRemoval(exec(JOB_A, '2026-03-08T10:00:00.000Z'), '100'),
    ttlRemoval(exec(JOB_B, '2026-03-08T10:00:00.000Z'), '101'),
    ttlRemoval(exec(JOB_A, '2026-03-08T11:00:00.000Z'), '102'),
    ttlRemoval(exec(JOB_A, '2026-03-09T00:00:00.000Z'), '103'),
  ];
}

async function history(archive: MemoryHistoryArchive, jobId: string) {
  const slice = await archivedSlice(archive, 'team-a', jobId, {}, undefined, 100);
  return slice.items.map((e) => e.scheduledAt);
}

describe('ArchiveService', () => {
  describe('isTtlRemoval', () => {
    it('is true only for a REMOVE made by DynamoDB itself', () => {
      const item = exec(JOB_A, '2026-03-08T10:00:00.000Z');
      expect(isTtlRemoval(ttlRemoval(item, '1'))).toBe(true);
      expect(isTtlRemoval(userRemoval(item, '1'))).toBe(false);
      expect(isTtlRemoval({ ...ttlRemoval(item, '1'), eventName: 'MODIFY' })).toBe(false);
      expect(
        isTtlRemoval({ ...ttlRemoval(item, '1'), userIdentity: { type: 'Service', principalId: 'someone' } }),
      ).toBe(false);
    });
  });

  describe('archiveRecords', () => {
    it('writes one gzip-lines object per tenant, job and date, with the public execution and its tenant', async () => {
      // Prepare
      const { archive, service } = setup();
      // Act
      const report = await service.archiveRecords(aBatch());
      // Assess
      expect(report).toEqual({ batchItemFailures: [], archived: 4, objects: 3, ignored: 0, unreadable: 0 });
      const keys = [...archive.objects.keys()].sort();
      expect(keys.map((k) => k.replace(/\/[^/]+$/, ''))).toEqual([
        `executions/tenant=team-a/job=${JOB_A}/date=2026-03-08`,
        `executions/tenant=team-a/job=${JOB_A}/date=2026-03-09`,
        `executions/tenant=team-a/job=${JOB_B}/date=2026-03-08`,
      ]);
      // The first record of a group names its object.
      expect(keys[0]).toMatch(/\/date=2026-03-08\/100000000-\d{9}-100-[0-9a-f]{16}\.jsonl\.gz$/);
      const first = exec(JOB_A, '2026-03-08T10:00:00.000Z');
      expect(archive.objects.get(keys[0]!)?.[0]).toEqual(archiveRowOf(first));
      expect(archiveRowOf(first)).toMatchObject({
        tenant: 'team-a',
        executionId: first.executionId,
        lateByMs: 12,
      });
      expect(archiveRowOf(first)).not.toHaveProperty('expiresAt');
    });

    it('ignores what is not a TTL removal: user deletes, inserts and updates', async () => {
      const { archive, service } = setup();
      const item = exec(JOB_A, '2026-03-08T10:00:00.000Z');
      const report = await service.archiveRecords([
        userRemoval(item, '1'),
        { ...ttlRemoval(item, '2'), eventName: 'INSERT' },
        { ...ttlRemoval(item, '3'), eventName: 'MODIFY' },
      ]);
      expect(report).toMatchObject({ archived: 0, ignored: 3, batchItemFailures: [] });
      expect(archive.objects.size).toBe(0);
    });

    it('drops an image that is not an execution instead of blocking the shard on it', async () => {
      const { archive, service } = setup();
      const garbage = ttlRemoval(exec(JOB_A, '2026-03-08T10:00:00.000Z'), '9');
      garbage.dynamodb.OldImage = { executionId: { S: 'x' } };
      const report = await service.archiveRecords([garbage, ...aBatch()]);
      expect(report).toMatchObject({ archived: 4, unreadable: 1, batchItemFailures: [] });
      expect(archive.objects.size).toBe(3);
    });

    it('makes no duplicate when the same batch is delivered again', async () => {
      const { archive, service } = setup();
      await service.archiveRecords(aBatch());
      const before = new Map(archive.objects);
      await service.archiveRecords(aBatch());
      expect([...archive.objects.keys()].sort()).toEqual([...before.keys()].sort());
      expect(archive.allRows()).toHaveLength(4);
      expect(await history(archive, JOB_A)).toEqual([
        '2026-03-09T00:00:00.000Z',
        '2026-03-08T11:00:00.000Z',
        '2026-03-08T10:00:00.000Z',
      ]);
    });

    it('reports the records of a failed object only, and the retry from the checkpoint lists each once', async () => {
      const { archive, service } = setup();
      let failing = true;
      archive.beforePut = (key) => {
        if (failing && key.includes(JOB_B)) throw new Error('SlowDown');
      };
      const batch = aBatch();
      const report = await service.archiveRecords(batch);
      expect(report.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
      expect(report).toMatchObject({ archived: 3, objects: 2 });

      // Lambda retries from the lowest failed sequence number: records 101..103, regrouped.
      failing = false;
      const retry = await service.archiveRecords(batch.slice(1));
      expect(retry.batchItemFailures).toEqual([]);
      expect(await history(archive, JOB_B)).toEqual(['2026-03-08T10:00:00.000Z']);
      // Record 102 now sits in two objects (its first group began at 100, the retried one at 102);
      // readers count it once.
      expect(
        archive.allRows().filter((r) => r.scheduledAt === '2026-03-08T11:00:00.000Z' && r.jobId === JOB_A),
      ).toHaveLength(2);
      expect(await history(archive, JOB_A)).toEqual([
        '2026-03-09T00:00:00.000Z',
        '2026-03-08T11:00:00.000Z',
        '2026-03-08T10:00:00.000Z',
      ]);
    });
  });
});
