import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { StreamEvent } from '../../schemas/stream.js';
import { ObjectHistoryArchive } from '../adapters/object-history-archive.js';
import { S3ArchiveStore } from '../adapters/s3-archive-store.js';
import { ENV, requiredEnv } from '../composition/config.js';
import { instrumented, logger, metrics, serviceLogger } from '../composition/lambda-context.js';
import type { HistoryArchive } from '../core/ports/history-archive.js';
import { archiveStreamBatch } from './stream-batch.js';

let archive: HistoryArchive | undefined;

/** Built once per container; needs only the bucket (not the tables and queues the other handlers read). */
function historyArchive(): HistoryArchive {
  const bucket = requiredEnv(ENV.archiveBucket);
  archive ??= new ObjectHistoryArchive(new S3ArchiveStore(new S3Client({}), bucket));
  return archive;
}

/** DynamoDB stream of the Executions table -> one S3 staging object per batch; the event source mapping reports batch item failures. */
async function archiveBatch(event: unknown) {
  const { Records } = StreamEvent.parse(event);
  const report = await archiveStreamBatch(historyArchive(), Records, serviceLogger);
  metrics.addMetric('ExecutionsArchived', MetricUnit.Count, report.archived);
  metrics.addMetric('ArchiveObjectsWritten', MetricUnit.Count, report.objects);
  if (report.batchItemFailures.length > 0)
    metrics.addMetric('ArchiveRecordsFailed', MetricUnit.Count, report.batchItemFailures.length);
  logger.info('archiver batch', { ...report, batchItemFailures: report.batchItemFailures.length });
  return { batchItemFailures: report.batchItemFailures };
}

export const handler = instrumented(archiveBatch);
