import { gunzipSync, gzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3HistoryArchive } from '../../lambdas/adapters/s3-history-archive.js';
import { readPartition, toJsonLines } from '../../lambdas/core/history.js';
import { ArchiveService } from '../../lambdas/services/archive-service.js';
import { silentLogger } from '../../lambdas/services/deps.js';
import { aFinishedExecution, anArchiveRow } from '../support/history-fixtures.js';
import { ttlRemoval } from '../support/stream-records.js';

const s3 = mockClient(S3Client);
const BUCKET = 'archive-bucket';
const JOB = 'job_01JS3ARCHIVE00000000000000';
const PREFIX = `executions/tenant=team-a/job=${JOB}/`;

const archive = () => new S3HistoryArchive(new S3Client({ region: 'us-east-1' }), BUCKET);

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

/** The part of a GetObject answer the adapter reads. */
function body(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'];
}

afterEach(() => {
  s3.reset();
});

describe('S3HistoryArchive', () => {
  describe('putObject', () => {
    it('puts the gzip JSON Lines under the given key, as a .gz file rather than a gzipped transfer', async () => {
      // Prepare
      s3.on(PutObjectCommand).resolves({});
      const rows = [anArchiveRow(JOB, '2026-03-08T10:00:00.000Z')];
      // Act
      await archive().putObject({ key: `${PREFIX}date=2026-03-08/1-abc.jsonl.gz`, rows });
      // Assess
      const [call] = s3.commandCalls(PutObjectCommand);
      const input = call!.args[0].input;
      expect(input).toMatchObject({
        Bucket: BUCKET,
        Key: `${PREFIX}date=2026-03-08/1-abc.jsonl.gz`,
        ContentType: 'application/gzip',
      });
      expect(input.ContentEncoding).toBeUndefined();
      expect(gunzipSync(input.Body as Buffer).toString('utf8')).toBe(toJsonLines(rows));
    });

    it('fails when S3 refuses, so the archiver reports exactly that object’s records', async () => {
      s3.on(PutObjectCommand).rejects(s3Error('SlowDown', 503));
      await expect(
        archive().putObject({ key: `${PREFIX}date=2026-03-08/1-abc.jsonl.gz`, rows: [] }),
      ).rejects.toThrow('SlowDown');

      const other = 'job_01JS3ARCHIVEOTHER000000000';
      s3.reset();
      s3.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
        if (input.Key.includes(`job=${other}/`)) throw s3Error('InternalError', 500);
        return {};
      });
      const service = new ArchiveService(archive(), silentLogger);
      const report = await service.archiveRecords([
        ttlRemoval(aFinishedExecution(JOB, '2026-03-08T10:00:00.000Z'), '11'),
        ttlRemoval(aFinishedExecution(other, '2026-03-08T10:00:00.000Z'), '12'),
        ttlRemoval(aFinishedExecution(other, '2026-03-08T10:01:00.000Z'), '13'),
      ]);
      expect(report.batchItemFailures).toEqual([{ itemIdentifier: '12' }, { itemIdentifier: '13' }]);
      expect(report.archived).toBe(1);
    });
  });

  describe('listDates', () => {
    it('lists the date partitions with a delimiter, following continuation tokens, oldest first', async () => {
      s3.on(ListObjectsV2Command, { Prefix: PREFIX, ContinuationToken: undefined }).resolves({
        CommonPrefixes: [{ Prefix: `${PREFIX}date=2026-03-09/` }, { Prefix: `${PREFIX}not-a-date/` }],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      });
      s3.on(ListObjectsV2Command, { Prefix: PREFIX, ContinuationToken: 'page-2' }).resolves({
        CommonPrefixes: [{ Prefix: `${PREFIX}date=2026-03-01/` }],
        IsTruncated: false,
      });
      expect(await archive().listDates('team-a', JOB)).toEqual(['2026-03-01', '2026-03-09']);
      const calls = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
      expect(calls).toHaveLength(2);
      expect(calls.every((input) => input.Delimiter === '/' && input.Bucket === BUCKET)).toBe(true);
    });

    it('fails on a denied listing rather than showing an empty history', async () => {
      s3.on(ListObjectsV2Command).rejects(s3Error('AccessDenied', 403));
      await expect(archive().listDates('team-a', JOB)).rejects.toThrow('AccessDenied');
    });
  });

  describe('listObjects and readObject', () => {
    const date = `${PREFIX}date=2026-03-08/`;
    const first = anArchiveRow(JOB, '2026-03-08T01:00:00.000Z');
    const second = anArchiveRow(JOB, '2026-03-08T02:00:00.000Z');

    it('reads every .jsonl.gz object of the partition; an object expired since the listing holds nothing', async () => {
      s3.on(ListObjectsV2Command, { Prefix: date }).resolves({
        Contents: [
          { Key: `${date}2-b.jsonl.gz` },
          { Key: `${date}1-a.jsonl.gz` },
          { Key: `${date}3-c.jsonl.gz` },
          { Key: `${date}stray.tmp` },
        ],
      });
      s3.on(GetObjectCommand, { Key: `${date}1-a.jsonl.gz` }).resolves({
        Body: body(gzipSync(toJsonLines([first]))),
      });
      s3.on(GetObjectCommand, { Key: `${date}2-b.jsonl.gz` }).resolves({
        Body: body(gzipSync(toJsonLines([second]))),
      });
      s3.on(GetObjectCommand, { Key: `${date}3-c.jsonl.gz` }).rejects(s3Error('NoSuchKey', 404));
      expect(await readPartition(archive(), { tenant: 'team-a', jobId: JOB, date: '2026-03-08' })).toEqual([
        first,
        second,
      ]);
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain(
        `${date}stray.tmp`,
      );
    });

    it('names the object that cannot be read', async () => {
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${date}1-a.jsonl.gz` }] });
      s3.on(GetObjectCommand).resolves({ Body: body(Buffer.from('not gzip')) });
      await expect(
        readPartition(archive(), { tenant: 'team-a', jobId: JOB, date: '2026-03-08' }),
      ).rejects.toThrow(`${date}1-a.jsonl.gz is unreadable`);
    });

    it('passes on a throttled read for the caller to fail the request', async () => {
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${date}1-a.jsonl.gz` }] });
      s3.on(GetObjectCommand).rejects(s3Error('SlowDown', 503));
      await expect(
        readPartition(archive(), { tenant: 'team-a', jobId: JOB, date: '2026-03-08' }),
      ).rejects.toThrow('SlowDown');
    });
  });
});
