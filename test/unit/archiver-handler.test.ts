import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { ttlRemoval, userRemoval } from '../support/stream-records.js';

const s3 = mockClient(S3Client);
const context = {
  functionName: 'archiver',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:archiver',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

let handler: (
  event: unknown,
  context: Context,
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

beforeAll(async () => {
  process.env.ARCHIVE_BUCKET = 'archive-bucket';
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ handler } = await import('../../lambdas/archiver/handler.js'));
});

afterEach(() => {
  s3.reset();
});

describe('archiver handler', () => {
  it('stages the TTL removals of a stream batch as one object, and answers with the records to retry', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolvesOnce({}).rejects(new Error('InternalError'));
    const event = {
      Records: [
        ttlRemoval(aFinishedExecution('job_A', '2026-03-08T10:00:00.000Z'), '21'),
        userRemoval(aFinishedExecution('job_A', '2026-03-08T11:00:00.000Z'), '22'),
        ttlRemoval(aFinishedExecution('job_B', '2026-03-09T10:00:00.000Z'), '23'),
      ],
    };
    // Act
    const first = await handler(event, context);
    const second = await handler(event, context);
    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(2);
    expect(puts[0]).toMatchObject({ Bucket: 'archive-bucket', ContentType: 'application/gzip' });
    expect(puts[0]!.Key).toMatch(/^executions\/staging\/date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/.+\.jsonl\.gz$/);
    // The same batch names the same object; its failure sends back both TTL removals, not the user's delete.
    expect(puts[1]!.Key).toBe(puts[0]!.Key);
    expect(second).toEqual({ batchItemFailures: [{ itemIdentifier: '21' }, { itemIdentifier: '23' }] });
  });

  it('rejects an event that is not a stream batch, so nothing is checkpointed', async () => {
    await expect(handler({ Records: [{ eventName: 'REMOVE' }] }, context)).rejects.toThrow();
  });
});
