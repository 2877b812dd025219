import { type CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { WATCHER_SCHEDULE, watcherInput, watcherScheduleName } from '../../lambdas/core/watcher-schedule.js';
import { grantCodeAccess } from './access.js';
import { deadLetterQueue } from './dead-letters.js';
import { acknowledgeWildcards, HandlerConstruct, type HandlerSettings } from './function.js';
import { NAME_LIMIT_64, stackScopedName } from './names.js';

export interface WatchersProps extends HandlerSettings {
  /** One schedule per shard, 0..shards-1. */
  readonly shards: number;
  readonly jobsTable: dynamodb.ITable;
  readonly executionsTable: dynamodb.ITable;
  readonly runQueues: readonly sqs.IQueue[];
  /** A run the watcher skips (misfire policy) is a finished execution, and may notify. */
  readonly notificationsQueue: sqs.IQueue;
  /** A tick must end before the next one starts. @default Duration.seconds(55) */
  readonly timeout?: Duration;
  /**
   * State of the schedules a deploy writes. `false` keeps a maintenance stop across deploys
   * (docs/deploy.md, "Operating the watchers"). @default true
   */
  readonly enabled?: boolean;
}

/**
 * The watcher function and its ticks: one EventBridge Scheduler schedule per shard in a group of
 * their own, every minute with no flexible window, briefly retried and then dead-lettered. The
 * names, rate and retry policy are the ones scripts/watchers.ts uses to add shards at run time.
 */
export class Watchers extends HandlerConstruct {
  readonly group: scheduler.ScheduleGroup;
  readonly invokeRole: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedules: scheduler.Schedule[];
  readonly invokeConfig: lambda.EventInvokeConfig;

  constructor(scope: Construct, id: string, props: WatchersProps) {
    super(scope, id, 'watcher', props, {
      description: 'Scheduler watcher: enqueues the due runs of one shard',
      timeout: props.timeout ?? Duration.seconds(55),
    });
    grantCodeAccess(this.handler, 'watcher', props);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', 'the target DLQ of the watcher schedules');

    // Scheduler invokes the watcher asynchronously, and its retry policy covers only failures to
    // invoke. A tick that fails inside the function is not retried (the next tick, a minute later,
    // scans the same buckets) and is recorded in the dead-letter queue, whose alarm says so.
    this.invokeConfig = new lambda.EventInvokeConfig(this, 'AsyncInvoke', {
      function: this.handler,
      retryAttempts: 0,
      maxEventAge: Duration.seconds(WATCHER_SCHEDULE.maximumEventAgeSeconds),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    const stack = Stack.of(this);
    this.invokeRole = new iam.Role(this, 'InvokeRole', {
      description: 'Assumed by EventBridge Scheduler to run the watcher ticks',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: stackScopedName(this, 'watchers', NAME_LIMIT_64),
      // It holds no data, and a group left behind would make the next stack of this name collide.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const groupResource = this.group.node.defaultChild as scheduler.CfnScheduleGroup;
    this.schedules = Array.from({ length: props.shards }, (_, shard) => {
      const schedule = new scheduler.Schedule(this, `Shard${shard}`, {
        scheduleName: watcherScheduleName(shard),
        scheduleGroup: this.group,
        description: `Watcher tick of shard ${shard}`,
        schedule: scheduler.ScheduleExpression.expression(WATCHER_SCHEDULE.expression),
        timeWindow: scheduler.TimeWindow.off(),
        enabled: props.enabled ?? true,
        target: new LambdaInvoke(this.handler, {
          role: this.invokeRole,
          input: scheduler.ScheduleTargetInput.fromObject(watcherInput(shard)),
          retryAttempts: WATCHER_SCHEDULE.maximumRetryAttempts,
          maxEventAge: Duration.seconds(WATCHER_SCHEDULE.maximumEventAgeSeconds),
          deadLetterQueue: this.deadLetterQueue,
        }),
      });
      // A reference (not the group's name as a literal) orders the group first, and the first
      // ticks must find the invoke role's policy in place.
      (schedule.node.defaultChild as scheduler.CfnSchedule).groupName = groupResource.ref;
      schedule.node.addDependency(this.invokeRole);
      return schedule;
    });
    const handlerCfn = this.handler.node.defaultChild as CfnElement;
    acknowledgeWildcards(
      this.invokeRole,
      [`Resource::<${stack.getLogicalId(handlerCfn)}.Arn>:*`],
      'Granted by the LambdaInvoke schedule target: versions and aliases of the watcher function, no other function.',
    );
  }
}
