import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { instrumented, lambdaDeps, logger, metrics } from '../composition/lambda-context.js';
import { WatcherService } from '../services/watcher/watcher-service.js';

/** EventBridge Scheduler invokes one watcher per shard with `{"shard": n}`. */
export const WatcherEvent = z.object({ shard: z.number().int().min(0) });

async function watch(event: unknown) {
  const { shard } = WatcherEvent.parse(event);
  const report = await new WatcherService(lambdaDeps()).watchShard(shard);
  metrics.addMetric('DueRuns', MetricUnit.Count, report.runsEnqueued);
  logger.info('watcher tick', { ...report });
  return report;
}

export const handler = instrumented(watch);
