import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aFinishedExecution } from '../support/history-fixtures.js';
import { lambdaContext } from '../support/lambda-events.js';
import { ttlRemoval, userRemoval } from '../support/stream-records.js';

const s3 = mockClient(S3Client);
const context = lambdaContext('archiver');

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
  it('archives the TTL removals of a stream batch and answers with the records to retry', async () => {
    // Prepare
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
      if (input.Key.includes('job=job_B/')) throw new Error('InternalError');
      return {};
    });
    const event = {
      Records: [
        ttlRemoval(aFinishedExecution('job_A', '2026-03-08T10:00:00.000Z'), '21'),
        userRemoval(aFinishedExecution('job_A', '2026-03-08T11:00:00.000Z'), '22'),
        ttlRemoval(aFinishedExecution('job_B', '2026-03-08T10:00:00.000Z'), '23'),
      ],
    };
    // Act
    const result = await handler(event, context);
    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '23' }] });
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys.filter((k) => k?.includes('job=job_A/'))).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand).every((c) => c.args[0].input.Bucket === 'archive-bucket')).toBe(
      true,
    );
  });

  it('rejects an event that is not a stream batch, so nothing is checkpointed', async () => {
    await expect(handler({ Records: [{ eventName: 'REMOVE' }] }, context)).rejects.toThrow();
  });
});
