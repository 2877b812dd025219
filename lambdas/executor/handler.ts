import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { newOwnerId } from '../core/ids.js';
import { ExecuteService } from '../services/execute-service.js';
import { lambdaDeps, logger, metrics, serviceLogger, tracer } from '../shared/lambda-context.js';
import { processRunBatch } from './batch.js';
import { withLatenessMetric } from './lateness-metric.js';

let service: ExecuteService | undefined;

const METRIC_OF: Record<string, string> = {
  succeeded: 'ExecutionsSucceeded',
  failed: 'ExecutionsFailed',
  timed_out: 'ExecutionsFailed',
  dead: 'ExecutionsDead',
};

async function execute(event: SQSEvent) {
  if (!service) {
    const deps = lambdaDeps();
    deps.events = withLatenessMetric(deps.events, (lateByMs) =>
      metrics.addMetric('StartLatenessMs', MetricUnit.Milliseconds, lateByMs),
    );
    service = new ExecuteService(deps, newOwnerId(Math.random));
  }
  return processRunBatch(event, service, serviceLogger, (outcome) => {
    const metric = METRIC_OF[outcome];
    if (metric) metrics.addMetric(metric, MetricUnit.Count, 1);
  });
}

export const handler = middy(execute)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
