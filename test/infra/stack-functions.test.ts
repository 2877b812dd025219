import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSUMPTIONS } from '../../bench/pricing.js';
import { DEFAULT_MEMORY_MB, EXECUTOR_MEMORY_MB } from '../../lib/constructs/memory.js';
import { DEFAULT_SETTINGS } from '../../lib/constructs/settings.js';
import { cfn, logicalId, only, resources, type Synthesized, synth } from './support.js';

/** The stack with the defaults of cdk.json, synthesized once for this file. */
let s: Synthesized;

beforeAll(() => {
  s = synth();
});

describe('functions', () => {
  const functions = () => Object.values(resources(s.template, 'AWS::Lambda::Function'));

  it('are the six handlers, each on arm64 and Node.js 22 with active tracing', () => {
    expect(functions()).toHaveLength(6);
    for (const fn of functions()) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('each writes to a log group of its own with the configured retention', () => {
    const logGroups = resources(s.template, 'AWS::Logs::LogGroup');
    const used = functions().map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(new Set(used).size).toBe(6);
    for (const id of used) {
      expect(logGroups[id]?.Properties.RetentionInDays).toBe(DEFAULT_SETTINGS.logRetentionDays);
    }
  });

  it('their logs go with the stack; the API access log, an audit trail, is retained like the data', () => {
    const retained = Object.entries(resources(s.template, 'AWS::Logs::LogGroup'))
      .filter(([, group]) => group.DeletionPolicy === 'Retain')
      .map(([id]) => id);
    expect(retained).toEqual([logicalId(s.stack, s.stack.api.node.findChild('AccessLogs'))]);
  });

  it('each gets the configuration every handler requires (lambdas/composition/config.ts)', () => {
    for (const fn of functions()) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables)).toEqual(
        expect.arrayContaining([
          'JOBS_TABLE',
          'EXECUTIONS_TABLE',
          'RUN_QUEUE_HIGH_URL',
          'RUN_QUEUE_NORMAL_URL',
          'RUN_QUEUE_LOW_URL',
          'NOTIFICATIONS_QUEUE_URL',
          'ARCHIVE_BUCKET',
          'SCHEDULER_SHARDS',
          'SCHEDULER_LOOKAHEAD_SECONDS',
          'SCHEDULER_HISTORY_HOT_SECONDS',
          'POWERTOOLS_SERVICE_NAME',
        ]),
      );
      expect(variables.SCHEDULER_HISTORY_HOT_SECONDS).toBe(
        String(DEFAULT_SETTINGS.hotRetentionDays * 86_400),
      );
    }
  });

  it('only the executor and the notifier read the signing secret, by ARN at run time, never its value', () => {
    const signers = [s.stack.executors.handler, s.stack.notifier.handler].map((fn) => logicalId(s.stack, fn));
    const secretArn = cfn(s.stack, s.stack.signing.secret.secretArn);
    for (const [id, fn] of Object.entries(resources(s.template, 'AWS::Lambda::Function'))) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(JSON.stringify(variables)).not.toContain('resolve:secretsmanager');
      expect(variables.SCHEDULER_SIGNING_SECRETS).toBeUndefined();
      if (signers.includes(id)) expect(variables.SCHEDULER_SIGNING_SECRET_ARN).toEqual(secretArn);
      else expect(variables.SCHEDULER_SIGNING_SECRET_ARN).toBeUndefined();
    }
    const readers = Object.values(resources(s.template, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:'),
    );
    expect(readers.flatMap((policy) => policy.Properties.Roles)).toEqual(
      expect.arrayContaining(
        [s.stack.executors.handler, s.stack.notifier.handler].map((fn) => cfn(s.stack, fn.role?.roleName)),
      ),
    );
    expect(readers).toHaveLength(2);
    for (const policy of readers) {
      const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement;
      expect(statements.filter((st) => JSON.stringify(st.Action).includes('secretsmanager:'))).toEqual([
        expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: secretArn }),
      ]);
    }
  });
});

describe('executors', () => {
  const mappingOf = (queueArn: string) =>
    only(s.template, 'AWS::Lambda::EventSourceMapping', { EventSourceArn: cfn(s.stack, queueArn) })
      .Properties;

  it('consume each run queue with partial batch responses and the concurrency cap of its priority', () => {
    for (const priority of ['high', 'normal', 'low'] as const) {
      const mapping = mappingOf(s.stack.queues.run[priority].queue.queueArn);
      expect(mapping).toMatchObject({
        FunctionName: cfn(s.stack, s.stack.executors.handler.functionName),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: DEFAULT_SETTINGS.executorConcurrency[priority] },
      });
    }
  });

  it('each queue has a dead-letter queue and SSE; a run lease covers the longest executor invocation', () => {
    for (const { queue, deadLetterQueue } of [
      ...Object.values(s.stack.queues.run),
      s.stack.queues.notifications,
    ]) {
      const props = s.template.toJSON().Resources[logicalId(s.stack, queue)].Properties;
      expect(props.RedrivePolicy.deadLetterTargetArn).toEqual(cfn(s.stack, deadLetterQueue.queueArn));
      expect(props.SqsManagedSseEnabled).toBe(true);
    }
    const executor = s.template.toJSON().Resources[logicalId(s.stack, s.stack.executors.handler)].Properties;
    for (const { queue } of Object.values(s.stack.queues.run)) {
      const props = s.template.toJSON().Resources[logicalId(s.stack, queue)].Properties;
      expect(props.VisibilityTimeout).toBeGreaterThanOrEqual(executor.Timeout);
      expect(props.VisibilityTimeout).toBeLessThanOrEqual(executor.Timeout + 60);
    }
  });

  it('runs at the memory the bench prices it at (it mostly waits: 256 MB), the watcher at the default', () => {
    const memoryOf = (fn: typeof s.stack.executors.handler) =>
      s.template.toJSON().Resources[logicalId(s.stack, fn)].Properties.MemorySize;
    expect(memoryOf(s.stack.executors.handler)).toBe(EXECUTOR_MEMORY_MB);
    expect(memoryOf(s.stack.executors.handler) / 1024).toBe(ASSUMPTIONS.executorMemoryGb);
    expect(memoryOf(s.stack.watchers.handler)).toBe(DEFAULT_MEMORY_MB);
    expect(memoryOf(s.stack.watchers.handler) / 1024).toBe(ASSUMPTIONS.watcherMemoryGb);
  });
});

describe('watchers', () => {
  const schedules = () => Object.values(resources(s.template, 'AWS::Scheduler::Schedule'));

  it('one schedule per shard, every minute, no flexible window, each invoking the watcher with its shard', () => {
    expect(schedules()).toHaveLength(DEFAULT_SETTINGS.shards);
    const shards = schedules().map((schedule) => {
      expect(schedule.Properties).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        GroupName: { Ref: logicalId(s.stack, s.stack.watchers.group) },
      });
      const target = schedule.Properties.Target as { Arn: unknown; Input: string };
      expect(target.Arn).toEqual(cfn(s.stack, s.stack.watchers.handler.functionArn));
      const { shard } = JSON.parse(target.Input) as { shard: number };
      expect(schedule.Properties.Name).toBe(`shard-${shard}`);
      return shard;
    });
    expect(shards.sort((a, b) => a - b)).toEqual(
      Array.from({ length: DEFAULT_SETTINGS.shards }, (_, i) => i),
    );
  });

  it('a failed tick is retried briefly (not past the next tick) and then dead-lettered', () => {
    for (const schedule of schedules()) {
      expect(schedule.Properties.Target).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: cfn(s.stack, s.stack.watchers.deadLetterQueue.queueArn) },
        RoleArn: cfn(s.stack, s.stack.watchers.invokeRole.roleArn),
      });
    }
  });

  it('the invoke role may call the watcher and dead-letter a tick, nothing else', () => {
    const policy = only(s.template, 'AWS::IAM::Policy', {
      Roles: [cfn(s.stack, s.stack.watchers.invokeRole.roleName)],
    }).Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
    const actions = policy.Statement.flatMap((statement) => [statement.Action].flat());
    expect(actions.sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
  });

  it('the API function is deployed after every schedule exists (growing shards never strands a job)', () => {
    const api = s.template.toJSON().Resources[logicalId(s.stack, s.stack.api.handler)];
    const scheduleIds = Object.keys(resources(s.template, 'AWS::Scheduler::Schedule'));
    expect(api.DependsOn).toEqual(expect.arrayContaining(scheduleIds));
  });
});

describe('notifier', () => {
  it('has no SES permission when no identity is configured', () => {
    for (const policy of Object.values(resources(s.template, 'AWS::IAM::Policy'))) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).not.toContain('ses:');
    }
  });
});

describe('api', () => {
  it('authorizes /v1 with IAM (SigV4) by default; callbacks, health and the OpenAPI document are open to the handler', () => {
    const routes = Object.values(resources(s.template, 'AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties,
    );
    expect(routes).toContainEqual(
      expect.objectContaining({ RouteKey: 'ANY /v1/{proxy+}', AuthorizationType: 'AWS_IAM' }),
    );
    const open = routes.filter((route) => route.AuthorizationType === 'NONE').map((route) => route.RouteKey);
    expect(open.sort()).toEqual([
      'GET /healthz',
      'GET /v1/openapi.json',
      'POST /v1/executions/{executionId}/complete',
      'POST /v1/executions/{executionId}/heartbeat',
    ]);
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('throttles the stage and writes JSON access logs', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_SETTINGS.apiThrottleRate,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.apiThrottleBurst,
      },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
    });
  });
});
