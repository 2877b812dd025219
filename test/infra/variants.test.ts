import { beforeAll, describe, expect, it } from 'vitest';
import { nagFindings } from '../../lib/synth-report.js';
import { cfn, logicalId, only, resources, type Synthesized, synth } from './support.js';

/** Every optional setting turned on or away from its default, synthesized once for this file. */
const CONTEXT = {
  shards: 3,
  executorConcurrency: { high: 40, normal: 10, low: 3 },
  jwtIssuer: 'https://issuer.example.com/',
  jwtAudience: ['scheduler-api'],
  sesIdentity: 'example.com',
  alarmEmail: 'ops@example.com',
  logRetentionDays: 7,
  archiveRetentionDays: 60,
  hotRetentionDays: 30,
  retainData: false,
  apiThrottleRate: 50,
  apiThrottleBurst: 100,
};

let s: Synthesized;
beforeAll(() => {
  s = synth(CONTEXT);
});

describe('a stack configured through context', () => {
  it('has one watcher schedule per configured shard, and the missed-tick alarm expects that many', () => {
    const inputs = Object.values(resources(s.template, 'AWS::Scheduler::Schedule')).map(
      (schedule) => (schedule.Properties.Target as { Input: string }).Input,
    );
    expect(inputs.sort()).toEqual(['{"shard":0}', '{"shard":1}', '{"shard":2}']);
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocations',
      Threshold: 3,
      ComparisonOperator: 'LessThanThreshold',
    });
    const variables = Object.values(resources(s.template, 'AWS::Lambda::Function')).map(
      (fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    );
    for (const env of variables) expect(env.SCHEDULER_SHARDS).toBe('3');
  });

  it('caps each run queue event source at the concurrency given for its priority', () => {
    for (const [priority, cap] of Object.entries(CONTEXT.executorConcurrency)) {
      const queue = s.stack.queues.run[priority as 'high' | 'normal' | 'low'].queue;
      const mapping = only(s.template, 'AWS::Lambda::EventSourceMapping', {
        EventSourceArn: cfn(s.stack, queue.queueArn),
      });
      expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: cap });
    }
  });

  it('authorizes /v1 with the JWT issuer and audience instead of IAM; callbacks, health and the OpenAPI document stay open', () => {
    const authorizer = only(s.template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: CONTEXT.jwtIssuer, Audience: CONTEXT.jwtAudience },
    });
    const routes = Object.values(resources(s.template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes.find((route) => route.RouteKey === 'ANY /v1/{proxy+}')).toMatchObject({
      AuthorizationType: 'JWT',
    });
    expect(routes.filter((route) => route.AuthorizationType === 'AWS_IAM')).toEqual([]);
    expect(routes.filter((route) => route.AuthorizationType === 'NONE')).toHaveLength(4);
  });

  it('throttles the stage at the configured rate and burst', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('lets the notifier, and only the notifier, send email from the configured SES identity', () => {
    const notifierRole = cfn(s.stack, s.stack.notifier.handler.role?.roleName);
    const withSes = Object.values(resources(s.template, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('ses:'),
    );
    expect(withSes).toHaveLength(1);
    expect(withSes[0]?.Properties.Roles).toEqual([notifierRole]);
    const statements = (withSes[0]!.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const ses = statements.filter((statement) => JSON.stringify(statement.Action).includes('ses:'));
    expect(ses).toHaveLength(1);
    expect(ses[0]?.Action).toBe('ses:SendEmail');
    expect(JSON.stringify(ses[0]?.Resource)).toMatch(/:identity\/example\.com"\]\]\}$/);
    const notifier = s.template.toJSON().Resources[logicalId(s.stack, s.stack.notifier.handler)];
    expect(notifier.Properties.Environment.Variables.SCHEDULER_EMAIL_FROM).toBe('scheduler@example.com');
  });

  it('subscribes the alarm email to the alarm topic', () => {
    const subscription = only(s.template, 'AWS::SNS::Subscription');
    expect(subscription.Properties).toEqual({
      Protocol: 'email',
      Endpoint: CONTEXT.alarmEmail,
      TopicArn: cfn(s.stack, s.stack.monitoring.topic.topicArn),
    });
  });

  it('applies the log retention to every log group', () => {
    for (const group of Object.values(resources(s.template, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(7);
    }
  });

  it('expires archived executions after the archive retention, without a transition that would come later', () => {
    const bucket = s.template.toJSON().Resources[logicalId(s.stack, s.stack.archive.bucket)];
    const rules = bucket.Properties.LifecycleConfiguration.Rules as {
      Prefix?: string;
      ExpirationInDays?: number;
    }[];
    expect(rules.find((r) => r.Prefix === 'executions/')?.ExpirationInDays).toBe(60);
    expect(JSON.stringify(rules)).not.toContain('GLACIER_IR');
    s.template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: { Name: 'executions', Parameters: { 'projection.date.range': 'NOW-95DAYS,NOW' } }, // 30 hot + 5 staging + 60 archived
    });
  });

  it('deletes tables and buckets with the stack when retainData is false (dev stacks)', () => {
    for (const table of Object.values(resources(s.template, 'AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
    for (const type of ['AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret']) {
      for (const resource of Object.values(resources(s.template, type))) {
        expect(resource.DeletionPolicy, type).toBe('Delete');
      }
    }
  });

  it('passes cdk-nag AwsSolutions with nothing unacknowledged', () => {
    expect(nagFindings(s.app)).toEqual([]);
  });
});
