import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../lib/constructs/settings.js';
import { acknowledgementsIn, nagFindings, resourceCounts } from '../../lib/synth-report.js';
import { cfn, only, resources, type Synthesized, synth } from './support.js';

/** The stack with the defaults of cdk.json, synthesized once for this file. */
let s: Synthesized;

beforeAll(() => {
  s = synth();
});

describe('monitoring', () => {
  const alarms = () =>
    Object.values(resources(s.template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
  const alarmOn = (metricName: string) => {
    const found = alarms().filter((alarm) => alarm.MetricName === metricName);
    expect(found.length).toBeGreaterThan(0);
    return found;
  };
  const dimensionRef = (alarm: Record<string, unknown>) =>
    JSON.stringify((alarm.Dimensions as { Value: unknown }[] | undefined)?.map((d) => d.Value));

  it('has a dashboard of the scheduling path, from due runs to outcomes, queues, watchers and throttles', () => {
    const body = JSON.stringify(only(s.template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const title of [
      'Due runs per minute',
      'Start lateness (ms)',
      'Executions by outcome per minute',
      'Queue depth (visible messages)',
      'Age of oldest message (s)',
      'Dead letters',
      'Watcher duration (ms)',
      'Throttles',
    ]) {
      expect(body, title).toContain(`\\"title\\":\\"${title}\\"`);
    }
  });

  it('alarms when p99 start lateness is above 1 s', () => {
    const lateness = alarms().filter((alarm) =>
      JSON.stringify(alarm.Metrics ?? []).includes('"StartLatenessMs"'),
    );
    expect(lateness).toHaveLength(1);
    expect(lateness[0]).toMatchObject({
      Metrics: [{ MetricStat: { Stat: 'p99', Metric: { Namespace: 'Scheduler' } } }],
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on watcher errors and on minutes with fewer invocations than shards (missed ticks)', () => {
    const watcher = JSON.stringify([cfn(s.stack, s.stack.watchers.handler.functionName)]);
    expect(alarmOn('Errors').some((alarm) => dimensionRef(alarm) === watcher)).toBe(true);
    const [missed] = alarmOn('Invocations');
    expect(dimensionRef(missed!)).toBe(watcher);
    expect(missed).toMatchObject({
      Threshold: DEFAULT_SETTINGS.shards,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('alarms as soon as any dead-letter or failure queue holds a message', () => {
    const queues = [
      ...s.stack.queues.deadLetterQueues,
      s.stack.watchers.deadLetterQueue,
      s.stack.archiver.failures,
    ].map((queue) => JSON.stringify([cfn(s.stack, queue.queueName)]));
    const watched = alarmOn('ApproximateNumberOfMessagesVisible')
      .filter(
        (alarm) => alarm.Threshold === 1 && alarm.ComparisonOperator === 'GreaterThanOrEqualToThreshold',
      )
      .map(dimensionRef);
    expect(watched.sort()).toEqual(queues.sort());
  });

  it('alarms on the failure rate of finished executions and on archiver and compactor errors', () => {
    const rate = alarms().find((alarm) =>
      JSON.stringify(alarm.Metrics ?? []).includes('(f + d) / (s + f + d)'),
    );
    expect(rate).toMatchObject({ Threshold: 0.1, ComparisonOperator: 'GreaterThanThreshold' });
    const archiver = JSON.stringify([cfn(s.stack, s.stack.archiver.handler.functionName)]);
    expect(alarmOn('Errors').some((alarm) => dimensionRef(alarm) === archiver)).toBe(true);
    const compactor = JSON.stringify([cfn(s.stack, s.stack.compactor.handler.functionName)]);
    expect(alarmOn('Errors').find((alarm) => dimensionRef(alarm) === compactor)).toMatchObject({
      Period: 3600,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
  });

  it('every alarm notifies the topic; without alarmEmail nothing is subscribed to it', () => {
    const topic = cfn(s.stack, s.stack.monitoring.topic.topicArn);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([topic]);
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('cdk-nag', () => {
  it('AwsSolutions reports no unacknowledged finding, and every acknowledgement gives a reason', () => {
    expect(nagFindings(s.app)).toEqual([]);
    const acknowledgements = acknowledgementsIn(s.app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) expect(ack.reason.length, ack.id).toBeGreaterThan(40);
  });

  it('the stack has the resources the design names, by type', () => {
    expect(resourceCounts(s.stack)).toMatchObject({
      'AWS::DynamoDB::Table': 2,
      'AWS::Lambda::Function': 6,
      'AWS::Lambda::EventSourceMapping': 5, // three run queues, notifications, the stream
      'AWS::SQS::Queue': 10, // run ×3, notifications, their four DLQs, watcher DLQ, archiver failures
      'AWS::Scheduler::Schedule': DEFAULT_SETTINGS.shards,
      'AWS::Glue::Table': 2, // compacted parts, staging
      'AWS::Events::Rule': 1, // the compactor's schedule
      'AWS::S3::Bucket': 2,
    });
  });
});
