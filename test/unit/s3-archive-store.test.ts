import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3ArchiveStore } from '../../lambdas/adapters/s3-archive-store.js';
import { objectBody } from '../support/s3-bucket-mock.js';

const s3 = mockClient(S3Client);
const BUCKET = 'archive-bucket';

const store = () => new S3ArchiveStore(new S3Client({ region: 'us-east-1' }), BUCKET);

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

afterEach(() => {
  s3.reset();
});

describe('S3ArchiveStore', () => {
  describe('put', () => {
    it('puts a .gz object as a gzip file rather than a gzipped transfer, and JSON as JSON', async () => {
      // Prepare
      s3.on(PutObjectCommand).resolves({});
      // Act
      await store().put('executions/staging/date=2026-03-08/hour=07/a.jsonl.gz', new Uint8Array([1, 2]));
      await store().put('executions/compaction/date=2026-03-08/g0001.json', new Uint8Array([3]));
      // Assess
      const [gz, json] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
      expect(gz).toMatchObject({ Bucket: BUCKET, ContentType: 'application/gzip' });
      expect(gz!.ContentEncoding).toBeUndefined();
      expect(gz!.IfNoneMatch).toBeUndefined();
      expect(json).toMatchObject({ ContentType: 'application/json' });
    });

    it('creates only if absent with If-None-Match: *, and reads a 412 or a 409 as "someone else did"', async () => {
      // Prepare
      s3.on(PutObjectCommand)
        .resolvesOnce({})
        .rejectsOnce(s3Error('PreconditionFailed', 412))
        .rejectsOnce(s3Error('ConditionalRequestConflict', 409));
      const key = 'executions/compaction/date=2026-03-08/g0001.json';
      // Act
      const results = [
        await store().put(key, new Uint8Array(), { ifAbsent: true }),
        await store().put(key, new Uint8Array(), { ifAbsent: true }),
        await store().put(key, new Uint8Array(), { ifAbsent: true }),
      ];
      // Assess
      expect(results).toEqual([true, false, false]);
      expect(s3.commandCalls(PutObjectCommand).every((c) => c.args[0].input.IfNoneMatch === '*')).toBe(true);
    });

    it('fails when S3 refuses a write, conditional or not', async () => {
      s3.on(PutObjectCommand).rejects(s3Error('SlowDown', 503));
      await expect(store().put('executions/x.gz', new Uint8Array())).rejects.toThrow(/SlowDown/);
      await expect(store().put('executions/x.gz', new Uint8Array(), { ifAbsent: true })).rejects.toThrow(
        /SlowDown/,
      );
      s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
      // Without ifAbsent a 412 is nothing the store expects.
      await expect(store().put('executions/x.gz', new Uint8Array())).rejects.toThrow(/PreconditionFailed/);
    });
  });

  describe('get', () => {
    it('reads an object, or a byte range of it as an HTTP range (both ends inclusive)', async () => {
      s3.on(GetObjectCommand).resolves({ Body: objectBody(new Uint8Array([7, 8])) });
      expect(await store().get('executions/a.gz')).toEqual(new Uint8Array([7, 8]));
      await store().get('executions/a.gz', { start: 10, end: 19 });
      const [whole, ranged] = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
      expect(whole!.Range).toBeUndefined();
      expect(ranged).toMatchObject({ Bucket: BUCKET, Key: 'executions/a.gz', Range: 'bytes=10-19' });
    });

    it('answers null for an object gone since it was listed, and passes a throttled or denied read on', async () => {
      s3.on(GetObjectCommand).rejectsOnce(s3Error('NoSuchKey', 404)).rejects(s3Error('AccessDenied', 403));
      expect(await store().get('executions/gone.gz')).toBeNull();
      await expect(store().get('executions/denied.gz')).rejects.toThrow(/AccessDenied/);
    });
  });

  describe('list', () => {
    it('follows continuation tokens, starts after the given key, and keeps sizes', async () => {
      // Prepare
      s3.on(ListObjectsV2Command)
        .resolvesOnce({
          Contents: [{ Key: 'executions/index/a', Size: 3 }],
          IsTruncated: true,
          NextContinuationToken: 't1',
        })
        .resolvesOnce({ Contents: [{ Key: 'executions/index/b', Size: 5 }], IsTruncated: false });
      // Act
      const objects = await store().list('executions/index/', { startAfter: 'executions/index/0' });
      // Assess
      expect(objects).toEqual([
        { key: 'executions/index/a', size: 3 },
        { key: 'executions/index/b', size: 5 },
      ]);
      const inputs = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
      expect(inputs[0]).toMatchObject({
        Bucket: BUCKET,
        Prefix: 'executions/index/',
        StartAfter: 'executions/index/0',
      });
      expect(inputs[1]).toMatchObject({ ContinuationToken: 't1' });
      expect(inputs[1]!.StartAfter).toBeUndefined();
    });

    it('fails on a denied listing rather than showing an empty archive', async () => {
      s3.on(ListObjectsV2Command).rejects(s3Error('AccessDenied', 403));
      await expect(store().list('executions/')).rejects.toThrow(/AccessDenied/);
    });
  });

  describe('delete', () => {
    it('deletes in requests of 1,000 keys, quietly, and fails on a key S3 could not delete', async () => {
      // Prepare
      s3.on(DeleteObjectsCommand)
        .resolvesOnce({})
        .resolvesOnce({ Errors: [{ Key: 'executions/k1000', Code: 'AccessDenied', Message: 'no' }] });
      const keys = Array.from({ length: 1001 }, (_, i) => `executions/k${i}`);
      // Act + Assess
      await expect(store().delete(keys)).rejects.toThrow(
        /could not delete 1 archive objects.*k1000.*AccessDenied/,
      );
      const inputs = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
      expect(inputs.map((i) => i.Delete?.Objects?.length)).toEqual([1000, 1]);
      expect(inputs[0]!.Delete?.Quiet).toBe(true);
      await store().delete([]);
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(2);
    });
  });
});
