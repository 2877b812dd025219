import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { newOwnerId } from '../core/ids.js';
import { ExecuteService } from '../services/execute-service.js';
import { lambdaDeps, logger, metrics, serviceLogger } from '../shared/lambda-context.js';
import { processRunBatch } from './batch.js';

let service: ExecuteService | undefined;

const METRIC_OF: Record<string, string> = {
  succeeded: 'ExecutionsSucceeded',
  failed: 'ExecutionsFailed',
  timed_out: 'ExecutionsFailed',
  dead: 'ExecutionsDead',
};

async function execute(event: SQSEvent) {
  service ??= new ExecuteService(lambdaDeps(), newOwnerId(Math.random));
  return processRunBatch(event, service, serviceLogger, (outcome) => {
    const metric = METRIC_OF[outcome];
    if (metric) metrics.addMetric(metric, MetricUnit.Count, 1);
  });
}

export const handler = middy(execute).use(injectLambdaContext(logger)).use(logMetrics(metrics));
