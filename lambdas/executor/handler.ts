import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent } from 'aws-lambda';
import { configFromEnv } from '../composition/config.js';
import { instrumented, lambdaDeps, metrics, serviceLogger } from '../composition/lambda-context.js';
import { withLatenessMetric } from '../composition/metric-listeners.js';
import { newOwnerId } from '../core/ids.js';
import { ExecutorService } from '../services/executor/executor-service.js';
import { processRunBatch, type RunHandBack } from './batch.js';

let service: ExecutorService | undefined;
let handBack: RunHandBack | undefined;

async function execute(event: SQSEvent) {
  if (!service || !handBack) {
    const deps = lambdaDeps();
    deps.events = withLatenessMetric(deps.events, (lateByMs) =>
      metrics.addMetric('StartLatenessMs', MetricUnit.Milliseconds, lateByMs),
    );
    service = new ExecutorService(deps, newOwnerId(Math.random));
    handBack = { queue: deps.queue, queueUrls: configFromEnv().runQueues };
  }
  // Outcomes are counted where executions end (lambda-context.ts), not per message here.
  return processRunBatch(event, service, serviceLogger, undefined, handBack);
}

export const handler = instrumented(execute, { signing: true });
