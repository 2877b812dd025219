import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import { documentClient } from '../adapters/dynamo-common.js';
import type { ServiceDeps, Logger as ServiceLogger } from '../services/deps.js';
import { configFromEnv } from './config.js';
import { serviceDeps } from './runtime-deps.js';

export const logger = new Logger({ serviceName: 'scheduler' });
export const metrics = new Metrics({ namespace: 'Scheduler', serviceName: 'scheduler' });

/** The services' logger port on Powertools' structured logger. */
export const serviceLogger: ServiceLogger = {
  info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
  warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
  error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
};

let deps: ServiceDeps | undefined;

/** Lambda-side dependencies, built once per container on first use (module scope, not per request). */
export function lambdaDeps(): ServiceDeps {
  deps ??= serviceDeps({
    config: configFromEnv(),
    dynamo: documentClient(),
    sqs: new SQSClient({}),
    log: serviceLogger,
  });
  return deps;
}
