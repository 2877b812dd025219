import { Aws } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { ENV } from '../../lambdas/composition/config.js';
import type { SchedulerQueues } from './queues.js';
import type { SchedulerSettings } from './settings.js';

export interface EnvironmentSources {
  readonly jobsTable: dynamodb.ITable;
  readonly executionsTable: dynamodb.ITable;
  readonly queues: SchedulerQueues;
  readonly archiveBucket: s3.IBucket;
  readonly settings: SchedulerSettings;
}

/** The roles AWS targets may name: the setting, or `scheduler-target-*` roles in the stack's partition. */
export function targetRolePatternOf(settings: SchedulerSettings): string {
  return settings.targetRolePattern ?? `arn:${Aws.PARTITION}:iam::*:role/scheduler-target-*`;
}

/**
 * The configuration every handler reads (lambdas/composition/config.ts). Every function gets all of
 * it, so configFromEnv never fails on a missing name; what a function may *do* is its grants.
 */
export function schedulerEnvironment(sources: EnvironmentSources): Record<string, string> {
  const { queues, settings } = sources;
  return {
    [ENV.jobsTable]: sources.jobsTable.tableName,
    [ENV.executionsTable]: sources.executionsTable.tableName,
    [ENV.runQueueHigh]: queues.run.high.queue.queueUrl,
    [ENV.runQueueNormal]: queues.run.normal.queue.queueUrl,
    [ENV.runQueueLow]: queues.run.low.queue.queueUrl,
    [ENV.notificationsQueue]: queues.notifications.queue.queueUrl,
    [ENV.archiveBucket]: sources.archiveBucket.bucketName,
    [ENV.shards]: String(settings.shards),
    [ENV.lookaheadSeconds]: String(settings.lookaheadSeconds),
    [ENV.hotRetentionSeconds]: String(settings.hotRetentionDays * 24 * 3600),
    [ENV.tenantClaim]: settings.tenantClaim,
    [ENV.targetRolePattern]: targetRolePatternOf(settings),
  };
}
