import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLES } from '../../lambdas/adapters/dynamo-tables.js';

/** Idempotency records and meta items of the Jobs table expire through it (epoch seconds). */
const JOBS_TTL_ATTRIBUTE = 'expiresAt';

export interface SchedulerStorageProps {
  /** What deleting the stack does to the tables. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Customer managed key for both tables. @default - the AWS managed key `aws/dynamodb` */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The Jobs and Executions tables: on demand, point-in-time recovery, encrypted, and protected from
 * deletion while they are retained. Names of keys and indexes come from lambdas/adapters/dynamo-tables.ts.
 */
export class SchedulerStorage extends Construct {
  readonly jobsTable: dynamodb.Table;
  readonly executionsTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: SchedulerStorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    };
    const string = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    const { jobs, executions } = TABLES;

    this.jobsTable = new dynamodb.Table(this, 'Jobs', {
      ...common,
      partitionKey: string(jobs.partitionKey),
      timeToLiveAttribute: JOBS_TTL_ATTRIBUTE,
    });
    // Sparse: only active jobs carry dueBucket, so the watcher reads nothing but due work. Both
    // indexes project only what their readers use, so a job's body and headers are never copied
    // and an advance writes no byTenant entry.
    this.jobsTable.addGlobalSecondaryIndex({
      indexName: jobs.dueIndex,
      partitionKey: string(jobs.dueIndexPartitionKey),
      sortKey: string(jobs.dueIndexSortKey),
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...jobs.dueIndexAttributes],
    });
    this.jobsTable.addGlobalSecondaryIndex({
      indexName: jobs.byTenantIndex,
      partitionKey: string(jobs.byTenantPartitionKey),
      sortKey: string(jobs.byTenantSortKey),
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...jobs.byTenantIndexAttributes],
    });

    this.executionsTable = new dynamodb.Table(this, 'Executions', {
      ...common,
      // Keyed by job: a job's history is a Query of its partition, no `byJob` index to write.
      partitionKey: string(executions.partitionKey),
      sortKey: string(executions.sortKey),
      timeToLiveAttribute: executions.ttlAttribute,
      // The archiver needs what TTL removed; nothing reads the new image.
      stream: dynamodb.StreamViewType.OLD_IMAGE,
    });
    const indexes: [string, string, string][] = [
      [executions.pendingIndex, executions.pendingPartitionKey, executions.pendingSortKey],
      [executions.deadIndex, executions.deadPartitionKey, executions.deadSortKey],
    ];
    for (const [indexName, partitionKey, sortKey] of indexes) {
      this.executionsTable.addGlobalSecondaryIndex({
        indexName,
        partitionKey: string(partitionKey),
        sortKey: string(sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
