import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** The scheduler's functions, by their role. */
export type FunctionRole = 'api' | 'watcher' | 'executor' | 'archiver' | 'compactor' | 'notifier';

export type DynamoAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';
export type SqsAction = 'SendMessage' | 'ChangeMessageVisibility' | 'GetQueueAttributes';
export type S3Action = 'GetObject' | 'PutObject' | 'DeleteObject' | 'ListBucket';

export interface TableAccess {
  /** Item actions on the table itself. */
  readonly items: readonly DynamoAction[];
  /** Global secondary indexes the function queries (`dynamodb:Query` on `<table>/index/<name>`). */
  readonly indexes?: readonly string[];
}

/** What one function's code does with the scheduler's data: the commands it sends, as IAM actions. */
export interface CodeAccess {
  readonly jobsTable?: TableAccess;
  readonly executionsTable?: TableAccess;
  /** On each of the three run queues. */
  readonly runQueues?: readonly SqsAction[];
  readonly notificationsQueue?: readonly SqsAction[];
  /** On the archive bucket (granted by the archive construct, under its prefixes; `ListBucket` on the bucket). */
  readonly archive?: readonly S3Action[];
}

/**
 * Function → the DynamoDB, SQS and S3 actions its code sends, on which resources. The constructs
 * grant exactly this (the archive construct grants its own S3 actions), and
 * test/infra/least-privilege.test.ts compares it both ways with the commands the handlers send in
 * their tests: a new call fails that test until it is listed here, and so does an entry no
 * handler uses. Change a function's commands, change its line here.
 */
export const CODE_ACCESS: Readonly<Record<FunctionRole, CodeAccess>> = {
  api: {
    jobsTable: {
      items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'],
      indexes: ['byTenant'],
    },
    executionsTable: { items: ['GetItem', 'PutItem', 'Query'], indexes: ['pending', 'dead'] },
    runQueues: ['SendMessage', 'GetQueueAttributes'],
    notificationsQueue: ['SendMessage'],
    archive: ['GetObject', 'ListBucket'],
  },
  watcher: {
    jobsTable: { items: ['GetItem', 'PutItem', 'UpdateItem'], indexes: ['due'] },
    executionsTable: { items: ['PutItem'], indexes: ['pending'] },
    runQueues: ['SendMessage'],
    notificationsQueue: ['SendMessage'],
  },
  executor: {
    jobsTable: { items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'] },
    executionsTable: { items: ['GetItem', 'PutItem'] },
    runQueues: ['SendMessage', 'ChangeMessageVisibility'],
    notificationsQueue: ['SendMessage'],
  },
  archiver: {
    archive: ['PutObject'],
  },
  compactor: {
    archive: ['GetObject', 'PutObject', 'DeleteObject', 'ListBucket'],
  },
  notifier: {
    notificationsQueue: ['ChangeMessageVisibility'],
  },
};

/** Grants a table's item actions and index queries, each index by name (no `index/*` wildcard). */
export function grantTableAccess(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  access?: TableAccess,
): void {
  if (!access) return;
  if (access.items.length > 0) {
    iam.Grant.addToPrincipal({
      grantee,
      actions: access.items.map((action) => `dynamodb:${action}`),
      resourceArns: [table.tableArn],
    });
  }
  if (access.indexes?.length) {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: access.indexes.map((index) => `${table.tableArn}/index/${index}`),
    });
  }
}

export function grantQueueAccess(
  grantee: iam.IGrantable,
  queues: readonly sqs.IQueue[],
  actions: readonly SqsAction[] | undefined,
): void {
  if (!actions?.length || queues.length === 0) return;
  iam.Grant.addToPrincipal({
    grantee,
    actions: actions.map((action) => `sqs:${action}`),
    resourceArns: queues.map((queue) => queue.queueArn),
  });
}

/** The resources `CODE_ACCESS` names, as a construct has them. */
export interface SchedulerData {
  readonly jobsTable?: dynamodb.ITable;
  readonly executionsTable?: dynamodb.ITable;
  readonly runQueues?: readonly sqs.IQueue[];
  readonly notificationsQueue?: sqs.IQueue;
}

/** Grants a function's DynamoDB and SQS lines of `CODE_ACCESS` on the resources given. */
export function grantCodeAccess(grantee: iam.IGrantable, role: FunctionRole, data: SchedulerData): void {
  const access = CODE_ACCESS[role];
  if (data.jobsTable) grantTableAccess(grantee, data.jobsTable, access.jobsTable);
  if (data.executionsTable) grantTableAccess(grantee, data.executionsTable, access.executionsTable);
  grantQueueAccess(grantee, data.runQueues ?? [], access.runQueues);
  grantQueueAccess(
    grantee,
    data.notificationsQueue ? [data.notificationsQueue] : [],
    access.notificationsQueue,
  );
}
