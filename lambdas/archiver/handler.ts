import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { StreamEvent } from '../../schemas/stream.js';
import { S3HistoryArchive } from '../adapters/s3-history-archive.js';
import { ArchiveService } from '../services/archive-service.js';
import { ENV } from '../shared/config.js';
import { logger, metrics, serviceLogger, tracer } from '../shared/lambda-context.js';

let service: ArchiveService | undefined;

/** Built once per container; needs only the bucket (not the tables and queues the other handlers read). */
function archiveService(): ArchiveService {
  const bucket = process.env[ENV.archiveBucket];
  if (!bucket) throw new Error(`environment variable ${ENV.archiveBucket} is required`);
  service ??= new ArchiveService(new S3HistoryArchive(new S3Client({}), bucket), serviceLogger);
  return service;
}

/** DynamoDB stream of the Executions table -> S3; the event source mapping reports batch item failures. */
async function archive(event: unknown) {
  const { Records } = StreamEvent.parse(event);
  const report = await archiveService().archiveRecords(Records);
  metrics.addMetric('ExecutionsArchived', MetricUnit.Count, report.archived);
  metrics.addMetric('ArchiveObjectsWritten', MetricUnit.Count, report.objects);
  if (report.batchItemFailures.length > 0)
    metrics.addMetric('ArchiveRecordsFailed', MetricUnit.Count, report.batchItemFailures.length);
  logger.info('archiver batch', { ...report, batchItemFailures: report.batchItemFailures.length });
  return { batchItemFailures: report.batchItemFailures };
}

export const handler = middy(archive)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
