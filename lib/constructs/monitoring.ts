import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Priority } from '../../schemas/job.js';
import { METRICS_NAMESPACE, POWERTOOLS_SERVICE } from './function.js';
import { PRIORITIES } from './queues.js';

/** The functions being watched, by role. */
export interface MonitoredFunctions {
  readonly api: lambda.IFunction;
  readonly watcher: lambda.IFunction;
  readonly executor: lambda.IFunction;
  readonly archiver: lambda.IFunction;
  readonly notifier: lambda.IFunction;
  readonly compactor: lambda.IFunction;
}

export interface MonitoringProps {
  /** Watcher schedules: a minute with fewer watcher invocations than this is a missed tick. */
  readonly shards: number;
  readonly functions: MonitoredFunctions;
  readonly httpApi: apigw.IHttpApi;
  readonly runQueues: Readonly<Record<Priority, sqs.IQueue>>;
  readonly notificationsQueue: sqs.IQueue;
  /** Every dead-letter (and failure) queue, by a name the alarm and the dashboard show. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Subscribed to the alarm topic. @default - none: subscribe endpoints to the topic yourself */
  readonly alarmEmail?: string;
  /** p99 start lateness that raises the alarm. @default 1000 (ms, the design's target) */
  readonly startLatenessThresholdMs?: number;
  /** Share of finished executions that failed or died that raises the alarm. @default 0.1 */
  readonly failureRateThreshold?: number;
}

/**
 * The operator's view: a dashboard of the scheduling path from due run to outcome, and alarms on
 * what breaks the design's promises (late starts, missed ticks, dead letters, failures, archive
 * falling behind), all sent to one SNS topic.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cw.Dashboard;
  readonly alarms: cw.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { functions: fns } = props;
    const minute = Duration.minutes(1);

    this.topic = new sns.Topic(this, 'Alarms', { displayName: 'Job scheduler alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm state changes carry no customer data, and CloudWatch cannot publish to a topic under the AWS managed SNS key.',
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const custom = (metricName: string, statistic: string, label: string, period = minute) =>
      new cw.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: POWERTOOLS_SERVICE },
        statistic,
        period,
        label,
      });
    const dueRuns = custom('DueRuns', 'Sum', 'due runs');
    const latenessP50 = custom('StartLatenessMs', 'p50', 'p50');
    const latenessP99 = custom('StartLatenessMs', 'p99', 'p99');
    const outcome = (period: Duration) => ({
      s: custom('ExecutionsSucceeded', 'Sum', 'succeeded', period),
      f: custom('ExecutionsFailed', 'Sum', 'failed', period),
      d: custom('ExecutionsDead', 'Sum', 'dead', period),
    });
    const watcherInvocations = fns.watcher.metricInvocations({ period: minute, statistic: 'Sum' });

    const alarm = (id: string, props: cw.AlarmProps) => {
      const created = new cw.Alarm(this, id, props);
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };
    const latenessThreshold = props.startLatenessThresholdMs ?? 1000;
    alarm('StartLatenessP99', {
      alarmDescription: `p99 start lateness above ${latenessThreshold} ms in 3 of the last 5 minutes`,
      metric: latenessP99,
      threshold: latenessThreshold,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    alarm('WatcherErrors', {
      alarmDescription: 'Watcher ticks failing in 3 of the last 5 minutes',
      metric: fns.watcher.metricErrors({ period: minute, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    alarm('WatcherMissedTicks', {
      alarmDescription: `Fewer than ${props.shards} watcher invocations a minute for 3 minutes (schedules disabled or failing)`,
      metric: watcherInvocations,
      threshold: props.shards,
      comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // No invocations at all is the worst case of a missed tick, not an absence of data.
      treatMissingData: cw.TreatMissingData.BREACHING,
    });
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(`DeadLetters${name}`, {
        alarmDescription: `${name}: dead-lettered messages are waiting for inspection or redrive`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
        threshold: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
    }
    const failureRateThreshold = props.failureRateThreshold ?? 0.1;
    alarm('FailureRate', {
      alarmDescription: `More than ${failureRateThreshold * 100}% of finished executions failed or died, 15 minutes running`,
      metric: new cw.MathExpression({
        expression: 'IF((s + f + d) > 0, (f + d) / (s + f + d), 0)',
        usingMetrics: outcome(Duration.minutes(5)),
        period: Duration.minutes(5),
        label: 'failure rate',
      }),
      threshold: failureRateThreshold,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    alarm('ArchiverErrors', {
      alarmDescription: 'Archiver invocations failing in 2 of the last 3 five-minute periods',
      metric: fns.archiver.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    alarm('CompactorErrors', {
      alarmDescription:
        'Archive compaction failing in 2 of the last 3 hourly runs: staging is left uncompacted (and still read)',
      metric: fns.compactor.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    const iteratorAge = fns.archiver.metric('IteratorAge', {
      period: Duration.minutes(5),
      statistic: 'Maximum',
    });
    alarm('ArchiverBehind', {
      alarmDescription: 'The archiver is more than 6 hours behind the stream (records expire after 24 hours)',
      metric: iteratorAge,
      threshold: 6 * 3600 * 1000,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });

    const all = Object.entries(fns) as [string, lambda.IFunction][];
    const queues: [string, sqs.IQueue][] = [
      ...PRIORITIES.map((priority): [string, sqs.IQueue] => [`run ${priority}`, props.runQueues[priority]]),
      ['notifications', props.notificationsQueue],
    ];
    const graph = (title: string, left: cw.IMetric[], extra: Partial<cw.GraphWidgetProps> = {}) =>
      new cw.GraphWidget({ title, left, width: 8, height: 6, ...extra });
    this.dashboard = new cw.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph('Due runs per minute', [dueRuns]),
      graph('Start lateness (ms)', [latenessP50, latenessP99], {
        leftAnnotations: [{ value: latenessThreshold, label: 'alarm' }],
      }),
      graph('Executions by outcome per minute', Object.values(outcome(minute)), { stacked: true }),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue depth (visible messages)',
        queues.map(([label, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum', label }),
        ),
      ),
      graph(
        'Age of oldest message (s)',
        queues.map(([label, queue]) =>
          queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum', label }),
        ),
      ),
      graph(
        'Dead letters',
        Object.entries(props.deadLetterQueues).map(([label, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum', label }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Watcher duration (ms)',
        ['Average', 'p99', 'Maximum'].map((statistic) =>
          fns.watcher.metricDuration({ period: minute, statistic, label: statistic }),
        ),
        {
          right: [watcherInvocations.with({ label: 'invocations' })],
          rightAnnotations: [{ value: props.shards, label: 'shards' }],
        },
      ),
      graph(
        'Throttles',
        all.map(([label, fn]) => fn.metricThrottles({ period: minute, statistic: 'Sum', label })),
      ),
      graph(
        'Errors',
        all.map(([label, fn]) => fn.metricErrors({ period: minute, statistic: 'Sum', label })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'API requests',
        [
          props.httpApi.metricCount({ period: minute, statistic: 'Sum', label: 'requests' }),
          props.httpApi.metricClientError({ period: minute, statistic: 'Sum', label: '4xx' }),
          props.httpApi.metricServerError({ period: minute, statistic: 'Sum', label: '5xx' }),
        ],
        {
          right: [
            props.httpApi.metricLatency({ period: minute, statistic: 'p99', label: 'latency p99 (ms)' }),
          ],
        },
      ),
      graph('Archiver', [iteratorAge.with({ label: 'iterator age (ms)' })], {
        right: [custom('ExecutionsArchived', 'Sum', 'archived', Duration.minutes(5))],
      }),
      new cw.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8, height: 6 }),
    );
  }
}
