import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { documentClient } from '../adapters/dynamo-common.js';
import { ObjectHistoryArchive } from '../adapters/object-history-archive.js';
import { S3ArchiveStore } from '../adapters/s3-archive-store.js';
import { SecretsManagerSigningKeys } from '../adapters/secrets-manager-signing-keys.js';
import type { Logger as ServiceLogger } from '../core/ports/logger.js';
import type { SigningKeys } from '../core/ports/signing-keys.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { configFromEnv, ENV } from './config.js';
import { withOutcomeMetrics } from './metric-listeners.js';
import { serviceDeps, signingKeysFrom } from './runtime-deps.js';

export const logger = new Logger({ serviceName: 'scheduler' });
export const metrics = new Metrics({ namespace: 'Scheduler', serviceName: 'scheduler' });
/** X-Ray segments per invocation (tracing is on for every function); responses are never captured: they may carry job data. */
export const tracer = new Tracer({ serviceName: 'scheduler' });

/** The services' logger port on Powertools' structured logger. */
export const serviceLogger: ServiceLogger = {
  info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
  warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
  error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
};

let deps: ServiceDeps | undefined;
let signing: SigningKeys | undefined;

/**
 * The signing secrets: read from Secrets Manager at run time where the stack names the secret
 * (`refreshSigningSecrets` keeps them fresh), else from the environment's own value.
 */
export function lambdaSigningKeys(): SigningKeys {
  if (!signing) {
    const secretArn = process.env[ENV.signingSecretArn];
    signing = secretArn
      ? new SecretsManagerSigningKeys(secretArn, serviceLogger)
      : signingKeysFrom(configFromEnv().signingSecrets);
  }
  return signing;
}

/** Lambda-side dependencies, built once per container on first use (module scope, not per request). */
export function lambdaDeps(): ServiceDeps {
  if (!deps) {
    const config = configFromEnv();
    deps = serviceDeps({
      config,
      dynamo: documentClient(),
      sqs: new SQSClient({}),
      log: serviceLogger,
      signing: lambdaSigningKeys(),
      // The api reads archived history through it; handlers that never read history just carry it.
      ...(config.archiveBucket
        ? { archive: new ObjectHistoryArchive(new S3ArchiveStore(new S3Client({}), config.archiveBucket)) }
        : {}),
    });
    // Every function that ends executions counts their outcomes (the API's async completions too).
    deps.events = withOutcomeMetrics(deps.events, (metric) => metrics.addMetric(metric, MetricUnit.Count, 1));
  }
  return deps;
}

/** Middy middleware: the signing secrets are fresh before the handler signs anything. */
export function refreshSigningSecrets(keys: () => SigningKeys): MiddlewareObj {
  return {
    before: async () => {
      const current = keys();
      if (current instanceof SecretsManagerSigningKeys) await current.refresh();
    },
  };
}

/**
 * A handler as every function runs it: traced (responses never captured: they may carry job data),
 * logging with the Lambda context, its metrics flushed at the end; with `signing`, the signing
 * secrets fresh before it signs anything.
 */
export function instrumented<E, R>(
  fn: (event: E, context: Context) => Promise<R>,
  options: { signing?: boolean } = {},
) {
  const handler = middy(fn)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
  return options.signing ? handler.use(refreshSigningSecrets(lambdaSigningKeys)) : handler;
}
