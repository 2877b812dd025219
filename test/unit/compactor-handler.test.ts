import { gzipSync } from 'node:zlib';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { toJsonLines } from '../../lambdas/adapters/archive-codec.js';
import { anArchiveRow } from '../support/history-fixtures.js';
import { objectBody } from '../support/s3-bucket-mock.js';

const s3 = mockClient(S3Client);
const STAGED =
  'executions/staging/date=2026-06-07/hour=10/20260308T100000000Z-20260308T100000000Z-0123456789abcdef.jsonl.gz';
const ROW = anArchiveRow('job_A', '2026-03-08T10:00:00.000Z');

const context = (remainingMs: number) =>
  ({
    functionName: 'compactor',
    awsRequestId: 'req-1',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:compactor',
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context;

let handler: (event: unknown, context: Context) => Promise<{ compacted: string[]; pending: string[] }>;

beforeAll(async () => {
  // The handler reads the clock itself: 7 June has settled by the 10th.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-06-10T00:00:00.000Z') });
  process.env.ARCHIVE_BUCKET = 'archive-bucket';
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ handler } = await import('../../lambdas/compactor/handler.js'));
});

afterEach(() => {
  s3.reset();
});

afterAll(() => {
  vi.useRealTimers();
});

/** A bucket with one settled staging object and no plan yet. */
function stagedBucket() {
  s3.on(ListObjectsV2Command, { Prefix: 'executions/staging/' }).resolves({
    Contents: [{ Key: STAGED, Size: 300 }],
  });
  s3.on(ListObjectsV2Command, { Prefix: 'executions/compaction/date=2026-06-07/' }).resolves({
    Contents: [],
  });
  s3.on(GetObjectCommand, { Key: STAGED }).resolves({ Body: objectBody(gzipSync(toJsonLines([ROW]))) });
  s3.on(PutObjectCommand).resolves({});
  s3.on(DeleteObjectsCommand).resolves({});
}

describe('compactor handler', () => {
  it('compacts settled staging: plan, part, index, done marker, then the staging deleted', async () => {
    stagedBucket();
    const result = await handler({ 'detail-type': 'Scheduled Event' }, context(15 * 60_000));
    expect(result).toEqual({ compacted: ['2026-06-07'], pending: [] });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual([
      'executions/compaction/date=2026-06-07/g0001.json',
      'executions/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.jsonl.gz',
      'executions/index/tenant=team-a/date=2026-03-08/2026-06-07-g0001-s0of1.json.gz',
      'executions/compaction/date=2026-06-07/g0001-s0000.done',
    ]);
    expect(puts[0]!.IfNoneMatch).toBe('*');
    expect(puts.every((p) => p.Bucket === 'archive-bucket')).toBe(true);
    const [deleted] = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
    expect(deleted!.Delete?.Objects).toEqual([{ Key: STAGED }]);
  });

  it('starts no shard within its last five minutes, leaving the date for the next tick', async () => {
    stagedBucket();
    const result = await handler({}, context(4 * 60_000));
    expect(result).toEqual({ compacted: [], pending: ['2026-06-07'] });
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('fails the invocation (for the Errors alarm) when a date cannot be compacted, its staging kept', async () => {
    stagedBucket();
    s3.on(GetObjectCommand, { Key: STAGED }).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );
    await expect(handler({}, context(15 * 60_000))).rejects.toThrow(
      /compaction failed for 1 date\(s\), 2026-06-07/,
    );
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });
});
