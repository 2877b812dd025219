import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_SHARDS } from '../../lambdas/core/watcher-schedule.js';
import { RUN_REDELIVERY } from '../../lambdas/executor/redelivery.js';
import { NOTIFICATION_REDELIVERY } from '../../lambdas/notifier/redelivery.js';
import { EXECUTOR_OVERHEAD } from '../../lib/constructs/executors.js';
import {
  CLOUDFORMATION_RESOURCE_LIMIT,
  enforceResourceLimit,
  resourceCount,
} from '../../lib/constructs/resource-limit.js';
import { DEFAULT_SETTINGS } from '../../lib/constructs/settings.js';
import { SchedulerStack } from '../../lib/scheduler-stack.js';
import { cdkJsonContext, nagFindings } from '../../lib/synth-report.js';
import { CreateJobBody, MAX_TIMEOUT_SECONDS } from '../../schemas/job.js';
import { redeliverySpanSeconds } from '../support/redelivery.js';
import { cfn, logicalId, only, resources, type Synthesized, synth } from './support.js';

/**
 * What goes wrong only after `cdk deploy` (issue 15): each block names the item it proves, read
 * from the synthesized template the way CloudFormation and the services will read it.
 */
let s: Synthesized;
beforeAll(() => {
  s = synth();
});

const resourceOf = (construct: { node: { defaultChild?: unknown } }) =>
  s.template.toJSON().Resources[logicalId(s.stack, construct)] as {
    Properties: Record<string, unknown> & { [key: string]: unknown };
    DependsOn?: string[];
    DeletionPolicy?: string;
  };
const variablesOf = (construct: { node: { defaultChild?: unknown } }) =>
  (resourceOf(construct).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
const functions = () => [
  s.stack.api.handler,
  s.stack.watchers.handler,
  s.stack.executors.handler,
  s.stack.archiver.handler,
  s.stack.notifier.handler,
];

/** A stack synthesized with the app's own validations (as `cdk synth` runs them), no bundling. */
function synthesized(id: string, context: Record<string, unknown> = {}) {
  const app = new App({
    stackTraces: false,
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = new SchedulerStack(app, id);
  app.synth();
  return { app, stack, template: Template.fromStack(stack) };
}

describe('1. shards: the documented range deploys', () => {
  it('the largest shard count with every optional resource stays within the 500 resources of a stack', () => {
    const big = synthesized('Scheduler', {
      shards: MAX_SHARDS,
      jwtIssuer: 'https://issuer.example.com/',
      jwtAudience: 'api',
      alarmEmail: 'ops@example.com',
      sesIdentity: 'example.com',
    });
    const count = resourceCount(big.stack);
    expect(count).toBeLessThanOrEqual(CLOUDFORMATION_RESOURCE_LIMIT);
    expect(Object.keys(big.template.findResources('AWS::Scheduler::Schedule'))).toHaveLength(MAX_SHARDS);
  });

  it('a template over the limit fails the synth with the count and what to lower', () => {
    const app = new App();
    const stack = new Stack(app, 'Small');
    for (let i = 0; i < 3; i++) new CfnResource(stack, `Queue${i}`, { type: 'AWS::SQS::Queue' });
    enforceResourceLimit(stack, 2);
    expect(() => app.synth()).toThrow(/3 CloudFormation resources, more than the 2 a stack may hold.*shards/);
  });
});

describe('2 and 17. the watcher schedule group goes with the stack and fits its name limit', () => {
  const group = () => resourceOf(s.stack.watchers.group);

  it('is deleted with the stack, so the next stack of that name does not collide with it', () => {
    expect(group().DeletionPolicy).toBe('Delete');
    expect(group().Properties.Name).toBe('Scheduler-watchers');
  });

  it('is at most 64 characters for the longest stack name, and two long names stay apart', () => {
    const names = ['a', 'b'].map((last) => {
      const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
      const stack = new SchedulerStack(app, `${'S'.repeat(127)}${last}`);
      const { scheduleGroupName } = stack.watchers.group;
      const functionNames = [stack.api.handler, stack.executors.handler].map(
        (fn) => (fn.node.defaultChild as unknown as { functionName: string }).functionName,
      );
      for (const name of [scheduleGroupName, ...functionNames]) expect(name.length).toBeLessThanOrEqual(64);
      expect(scheduleGroupName).toMatch(/^S+-[0-9a-f]{8}-watchers$/);
      return scheduleGroupName;
    });
    expect(names[0]).not.toBe(names[1]);
  });
});

describe('3. schedules reference their group and wait for the invoke policy', () => {
  it('name the group by reference and depend on the role policy that lets them invoke the watcher', () => {
    const policy = only(s.template, 'AWS::IAM::Policy', {
      Roles: [cfn(s.stack, s.stack.watchers.invokeRole.roleName)],
    });
    const policyId = Object.entries(resources(s.template, 'AWS::IAM::Policy')).find(
      ([, candidate]) => candidate === policy || JSON.stringify(candidate) === JSON.stringify(policy),
    )?.[0];
    const schedules = Object.values(resources(s.template, 'AWS::Scheduler::Schedule'));
    expect(schedules.length).toBe(DEFAULT_SETTINGS.shards);
    for (const schedule of schedules) {
      expect(schedule.Properties.GroupName).toEqual({ Ref: logicalId(s.stack, s.stack.watchers.group) });
      expect(schedule.DependsOn).toEqual(expect.arrayContaining([policyId]));
    }
  });
});

describe('4. alarms are delivered', () => {
  it('the alarm topic policy lets CloudWatch alarms of this account publish', () => {
    const policy = only(s.template, 'AWS::SNS::TopicPolicy').Properties.PolicyDocument as {
      Statement: Record<string, unknown>[];
    };
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: cfn(s.stack, s.stack.monitoring.topic.topicArn),
        Condition: expect.objectContaining({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        }),
      }),
    );
  });
});

describe('5. a failed run comes back within seconds, and a broken executor raises an alarm', () => {
  const alarms = () =>
    Object.values(resources(s.template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  it('run queues dead-letter at the receive count the executor backs off for, within minutes', () => {
    for (const { queue } of Object.values(s.stack.queues.run)) {
      const redrive = resourceOf(queue).Properties.RedrivePolicy as { maxReceiveCount: number };
      expect(redrive.maxReceiveCount).toBe(RUN_REDELIVERY.maxReceiveCount);
    }
    expect(redeliverySpanSeconds(RUN_REDELIVERY)).toBeLessThan(10 * 60);
  });

  it('alarms on executor errors', () => {
    const executor = cfn(s.stack, s.stack.executors.handler.functionName);
    expect(
      alarms().filter(
        (alarm) =>
          alarm.MetricName === 'Errors' &&
          JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: executor }]),
      ),
    ).toHaveLength(1);
  });

  it('alarms on the age of the oldest message of every run queue', () => {
    const watched = alarms()
      .filter((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage')
      .map((alarm) => JSON.stringify((alarm.Dimensions as { Value: unknown }[])[0]?.Value));
    expect(watched.sort()).toEqual(
      s.stack.queues.runQueues.map((queue) => JSON.stringify(cfn(s.stack, queue.queueName))).sort(),
    );
  });
});

describe('6. the executor outlives the longest call it accepts', () => {
  it('its timeout covers the longest accepted timeoutSeconds plus claim and result', () => {
    expect(resourceOf(s.stack.executors.handler).Properties.Timeout).toBeGreaterThanOrEqual(
      MAX_TIMEOUT_SECONDS + EXECUTOR_OVERHEAD.toSeconds(),
    );
  });

  it('jobs refuse a timeoutSeconds the executor could not outlive', () => {
    const job = { schedule: { type: 'immediate' }, target: { url: 'https://example.com/' } };
    expect(CreateJobBody.safeParse({ ...job, timeoutSeconds: MAX_TIMEOUT_SECONDS }).success).toBe(true);
    expect(CreateJobBody.safeParse({ ...job, timeoutSeconds: MAX_TIMEOUT_SECONDS + 1 }).success).toBe(false);
    expect(CreateJobBody.safeParse({ ...job, timeoutSeconds: 900 }).success).toBe(false);
  });
});

describe('7. a failing watcher tick is not retried by Lambda and is recorded', () => {
  it('has an async invoke config with no retries and the watcher dead-letter queue on failure', () => {
    const config = only(s.template, 'AWS::Lambda::EventInvokeConfig', {
      FunctionName: cfn(s.stack, s.stack.watchers.handler.functionName),
    }).Properties;
    expect(config).toMatchObject({
      FunctionName: cfn(s.stack, s.stack.watchers.handler.functionName),
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: {
        OnFailure: { Destination: cfn(s.stack, s.stack.watchers.deadLetterQueue.queueArn) },
      },
    });
  });
});

describe('8. notification retries last the promised 15 minutes', () => {
  it('the notifications queue dead-letters after the tries the notifier spreads over about 15 minutes', () => {
    const redrive = resourceOf(s.stack.queues.notifications.queue).Properties.RedrivePolicy as {
      maxReceiveCount: number;
    };
    expect(redrive.maxReceiveCount).toBe(NOTIFICATION_REDELIVERY.maxReceiveCount);
    const span = redeliverySpanSeconds(NOTIFICATION_REDELIVERY);
    expect(span).toBeGreaterThanOrEqual(14 * 60);
    expect(span).toBeLessThanOrEqual(16 * 60);
  });
});

describe('9. every function that publishes notifications links to the API', () => {
  it('the api, watcher and executor get the public URL of the API', () => {
    const url = cfn(s.stack, s.stack.api.url);
    for (const fn of [s.stack.api.handler, s.stack.watchers.handler, s.stack.executors.handler]) {
      expect(variablesOf(fn).SCHEDULER_PUBLIC_URL, fn.node.path).toEqual(url);
    }
  });
});

describe('10. the OpenAPI document is public', () => {
  it('GET /v1/openapi.json has its own route without an authorizer', () => {
    expect(
      only(s.template, 'AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/openapi.json' }).Properties,
    ).toMatchObject({
      AuthorizationType: 'NONE',
    });
  });
});

describe('15. anonymous routes have throttles of their own', () => {
  it('the stage sets a route throttle, below the tenants’ stage limit, on every route without auth', () => {
    const stage = only(s.template, 'AWS::ApiGatewayV2::Stage').Properties as {
      RouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    };
    const anonymous = Object.values(resources(s.template, 'AWS::ApiGatewayV2::Route'))
      .filter((route) => route.Properties.AuthorizationType === 'NONE')
      .map((route) => route.Properties.RouteKey as string);
    expect(Object.keys(stage.RouteSettings).sort()).toEqual(anonymous.sort());
    for (const setting of Object.values(stage.RouteSettings)) {
      expect(setting.ThrottlingRateLimit).toBeGreaterThan(0);
      expect(setting.ThrottlingRateLimit).toBeLessThan(DEFAULT_SETTINGS.apiThrottleRate);
      expect(setting.ThrottlingBurstLimit).toBeLessThan(DEFAULT_SETTINGS.apiThrottleBurst);
    }
    expect(stage.RouteSettings['GET /healthz']?.ThrottlingRateLimit).toBeLessThanOrEqual(10);
  });
});

describe('16. stack traces name the source', () => {
  it('every function enables source maps', () => {
    for (const fn of functions())
      expect(variablesOf(fn).NODE_OPTIONS, fn.node.path).toBe('--enable-source-maps');
  });
});

describe('17. a maintenance stop survives deploys', () => {
  const schedulesOf = (template: Template) =>
    Object.values(template.findResources('AWS::Scheduler::Schedule')).map((schedule) =>
      JSON.stringify(schedule),
    );

  it('watchersEnabled=false deploys every schedule disabled', () => {
    const stopped = synth({ watchersEnabled: false });
    const states = Object.values(resources(stopped.template, 'AWS::Scheduler::Schedule')).map(
      (schedule) => schedule.Properties.State,
    );
    expect(new Set(states)).toEqual(new Set(['DISABLED']));
  });

  it('a deploy of other settings leaves the schedules untouched, so CloudFormation does not rewrite a stopped one', () => {
    const other = synth({
      executorConcurrency: { high: 80 },
      apiThrottleRate: 50,
      alarmEmail: 'ops@example.com',
      logRetentionDays: 7,
      lookaheadSeconds: 300,
    });
    expect(schedulesOf(other.template)).toEqual(schedulesOf(s.template));
  });
});

describe('18. run and notification dead letters outlive the stack like the data', () => {
  it('dead-letter queues are retained by default and deleted with retainData=false', () => {
    for (const queue of s.stack.queues.deadLetterQueues)
      expect(resourceOf(queue).DeletionPolicy).toBe('Retain');
    const dev = synth({ retainData: false });
    for (const queue of dev.stack.queues.deadLetterQueues) {
      expect(dev.template.toJSON().Resources[logicalId(dev.stack, queue)].DeletionPolicy).toBe('Delete');
    }
  });
});

describe('19. console names a person recognises', () => {
  it('names the dashboard, the HTTP API, the functions and their log groups after the stack', () => {
    expect(only(s.template, 'AWS::CloudWatch::Dashboard').Properties.DashboardName).toEqual({
      'Fn::Join': ['', ['Scheduler-', { Ref: 'AWS::Region' }]],
    });
    expect(only(s.template, 'AWS::ApiGatewayV2::Api').Properties.Name).toBe('Scheduler-api');
    const roles = ['api', 'watcher', 'executor', 'archiver', 'notifier'];
    functions().forEach((fn, i) => {
      const props = resourceOf(fn).Properties as {
        FunctionName: string;
        LoggingConfig: { LogGroup: { Ref: string } };
      };
      expect(props.FunctionName).toBe(`Scheduler-${roles[i]}`);
      const group = s.template.toJSON().Resources[props.LoggingConfig.LogGroup.Ref];
      expect(group.Properties.LogGroupName).toBe(`/aws/lambda/Scheduler-${roles[i]}`);
    });
    const access = resourceOf(s.stack.api.node.findChild('AccessLogs') as never).Properties.LogGroupName;
    expect(JSON.stringify(access)).toContain('/aws/apigateway/Scheduler-api/access-');
    expect(JSON.stringify(access)).toContain('AWS::StackId');
  });
});

describe('the synth stays cdk-nag clean with every change above', () => {
  it('has no unacknowledged finding with the watchers stopped and data not retained', () => {
    expect(nagFindings(synth({ watchersEnabled: false, retainData: false }).app)).toEqual([]);
  });
});
