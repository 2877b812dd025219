import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { ArchiveCompactor } from '../adapters/archive-compactor.js';
import { S3ArchiveStore } from '../adapters/s3-archive-store.js';
import { ENV, requiredEnv } from '../composition/config.js';
import { instrumented, logger, metrics, serviceLogger } from '../composition/lambda-context.js';

/**
 * Time left unused at the end of an invocation: a shard starts only before it, so the last one
 * (its size bounded by SHARD_STAGING_BYTES) still ends inside the function's timeout.
 */
export const SHARD_START_MARGIN_MS = 5 * 60_000;

let compactor: ArchiveCompactor | undefined;

function archiveCompactor(): ArchiveCompactor {
  const bucket = requiredEnv(ENV.archiveBucket);
  compactor ??= new ArchiveCompactor(new S3ArchiveStore(new S3Client({}), bucket), {
    clock: { now: () => Date.now() },
    log: serviceLogger,
  });
  return compactor;
}

/**
 * The archive's compaction, on a schedule: compacts every settled removal date it can before the
 * margin, and fails the invocation (the Errors alarm) when a date could not be compacted. What
 * is left, the next tick continues; any tick may repeat or overlap another (archive-compactor.ts).
 */
async function compact(_event: unknown, context: Context) {
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SHARD_START_MARGIN_MS;
  const report = await archiveCompactor().compact(deadline);
  // Two custom metrics ($0.30 a month each): the work done, and the dates left (growing = stuck).
  metrics.addMetric('ArchiveRowsCompacted', MetricUnit.Count, report.rows);
  metrics.addMetric('ArchiveDatesPending', MetricUnit.Count, report.pending.length);
  logger.info('archive compaction', { ...report });
  if (report.failed.length > 0) {
    const [first] = report.failed;
    throw new Error(
      `archive compaction failed for ${report.failed.length} date(s), ${first!.date}: ${first!.error}`,
    );
  }
  return { compacted: report.compacted, pending: report.pending };
}

export const handler = instrumented(compact);
