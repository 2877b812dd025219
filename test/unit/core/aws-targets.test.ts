import { describe, expect, it } from 'vitest';
import {
  arnMatches,
  assertRolePattern,
  awsTargetProblems,
  DEFAULT_TARGET_ROLE_PATTERN,
  parseArn,
  roleArnProblem,
} from '../../../lambdas/core/aws-arns.js';
import {
  awsCallFor,
  classifyAwsError,
  isPermanentFailure,
  roleSessionName,
  snippet,
  stateMachineExecutionName,
} from '../../../lambdas/core/aws-targets.js';
import { type DeliveryContext, fillPlaceholders } from '../../../lambdas/core/placeholders.js';
import { CreateJobBody } from '../../../schemas/job.js';
import type { AwsTarget } from '../../../schemas/targets.js';

const POLICY = { pattern: DEFAULT_TARGET_ROLE_PATTERN };
const ROLE = 'arn:aws:iam::123456789012:role/scheduler-target-orders';
const CONTEXT: DeliveryContext = {
  executionId: 'job_01JABCDEFGHJKMNPQRSTVWXYZ0:2026-03-08T07:00:00.000Z',
  jobId: 'job_01JABCDEFGHJKMNPQRSTVWXYZ0',
  scheduledTime: '2026-03-08T07:00:00.000Z',
  attempt: 2,
};
const NOW = Date.parse('2026-03-08T07:00:00.120Z');

/** A target as the API stores it (defaults applied). */
function target(raw: Record<string, unknown>): AwsTarget {
  const parsed = CreateJobBody.parse({ schedule: { type: 'immediate' }, target: { roleArn: ROLE, ...raw } });
  return parsed.target as AwsTarget;
}

describe('aws-arns', () => {
  describe('parseArn', () => {
    it('splits an ARN, keeping colons inside the resource', () => {
      // Act
      const arn = parseArn('arn:aws:lambda:eu-west-1:123456789012:function:send:live');

      // Assess
      expect(arn).toEqual({
        partition: 'aws',
        service: 'lambda',
        region: 'eu-west-1',
        account: '123456789012',
        resource: 'function:send:live',
      });
    });

    it.each(['', 'arn:aws:iam', 'urn:aws:iam::1:role/x', 'arn:AWS!:iam::1:role/x'])('refuses %j', (text) => {
      expect(parseArn(text)).toBeNull();
    });
  });

  describe('arnMatches', () => {
    it.each([
      ['arn:aws:iam::*:role/scheduler-target-*', ROLE, true],
      ['arn:aws:iam::*:role/scheduler-target-*', 'arn:aws:iam::123456789012:role/admin', false],
      ['arn:aws:iam::111111111111:role/scheduler-target-*', ROLE, false],
      ['arn:aws:iam::*:role/team-?', 'arn:aws:iam::123456789012:role/team-a', true],
      ['arn:aws:iam::*:role/team-?', 'arn:aws:iam::123456789012:role/team-ab', false],
      // Regex characters in a pattern are literal, as in IAM.
      ['arn:aws:iam::*:role/a.b', 'arn:aws:iam::123456789012:role/axb', false],
    ])('%s matches %s: %s', (pattern, arn, expected) => {
      expect(arnMatches(pattern, arn)).toBe(expected);
    });
  });

  describe('roleArnProblem', () => {
    it('accepts a role matching the pattern', () => {
      expect(roleArnProblem(ROLE, POLICY)).toBeNull();
    });

    it('refuses a role outside the pattern, naming the pattern', () => {
      expect(roleArnProblem('arn:aws:iam::123456789012:role/admin', POLICY)).toBe(
        'does not match the roles this deployment may assume (arn:aws:iam::*:role/scheduler-target-*)',
      );
    });

    it('refuses a role of another partition', () => {
      expect(roleArnProblem('arn:aws-cn:iam::123456789012:role/scheduler-target-x', POLICY)).toBe(
        'is in partition "aws-cn"; this deployment runs in "aws"',
      );
    });

    it.each([
      'arn:aws:iam::123456789012:user/scheduler-target-x',
      'arn:aws:iam::12345:role/scheduler-target-x',
      'arn:aws:sts::123456789012:assumed-role/scheduler-target-x/s',
      'scheduler-target-x',
    ])('refuses %s as malformed', (arn) => {
      expect(roleArnProblem(arn, POLICY)).toMatch(/^must be an IAM role ARN/);
    });
  });

  describe('assertRolePattern', () => {
    it('accepts the default and a China pattern', () => {
      expect(() => assertRolePattern(DEFAULT_TARGET_ROLE_PATTERN)).not.toThrow();
      expect(() => assertRolePattern('arn:aws-cn:iam::*:role/jobs-*')).not.toThrow();
    });

    it.each(['*', 'arn:*:iam::*:role/*', 'arn:aws:s3:::bucket'])('refuses %s', (pattern) => {
      expect(() => assertRolePattern(pattern)).toThrow(/must look like arn:<partition>:iam::/);
    });
  });

  describe('awsTargetProblems', () => {
    it('refuses a resource of another partition than the deployment', () => {
      // Act
      const problems = awsTargetProblems(
        { roleArn: ROLE, topicArn: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:t' },
        POLICY,
      );

      // Assess
      expect(problems).toEqual([
        { path: 'target.topicArn', message: 'is in partition "aws-us-gov"; this deployment runs in "aws"' },
      ]);
    });

    it('accepts only real SQS queue URLs in AWS, any queue URL locally (the emulator)', () => {
      const local = { roleArn: ROLE, queueUrl: 'http://127.0.0.1:4566/000000000000/orders' };
      expect(awsTargetProblems(local, POLICY)).toEqual([
        {
          path: 'target.queueUrl',
          message:
            'must be an SQS queue URL of partition "aws" (https://sqs.<region>.amazonaws.com/<account>/<queue>)',
        },
      ]);
      expect(awsTargetProblems(local, POLICY, { local: true })).toEqual([]);
      const real = { roleArn: ROLE, queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders' };
      expect(awsTargetProblems(real, POLICY)).toEqual([]);
    });
  });
});

describe('placeholders', () => {
  it('replaces the four names everywhere in a text and leaves other text alone', () => {
    // Act
    const text = fillPlaceholders(
      '{"id":"<scheduler.execution-id>","job":"<scheduler.job-id>","at":"<scheduler.scheduled-time>","n":<scheduler.attempt>,"again":"<scheduler.job-id>","other":"<scheduler.unknown>"}',
      CONTEXT,
    );

    // Assess
    expect(JSON.parse(text)).toEqual({
      id: CONTEXT.executionId,
      job: CONTEXT.jobId,
      at: CONTEXT.scheduledTime,
      n: 2,
      again: CONTEXT.jobId,
      other: '<scheduler.unknown>',
    });
  });
});

describe('awsCallFor', () => {
  it('lambda: the payload as written (placeholders filled), metadata in the ClientContext', () => {
    // Act
    const call = awsCallFor(
      target({
        type: 'lambda',
        functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:send:live',
        invocationType: 'RequestResponse',
        payload: '{"run":"<scheduler.execution-id>"}',
      }),
      CONTEXT,
      { now: NOW },
    );

    // Assess
    expect(call).toEqual({
      service: 'lambda',
      region: 'eu-west-1',
      input: {
        FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:send:live',
        InvocationType: 'RequestResponse',
        Payload: `{"run":"${CONTEXT.executionId}"}`,
        ClientContext: expect.any(String),
      },
    });
    const input = call.input as { ClientContext: string };
    const context = JSON.parse(Buffer.from(input.ClientContext, 'base64').toString());
    expect(context).toEqual({
      custom: {
        scheduler: {
          executionId: CONTEXT.executionId,
          jobId: CONTEXT.jobId,
          scheduledTime: CONTEXT.scheduledTime,
          attempt: 2,
        },
      },
    });
  });

  it('lambda: Event is the default invocation type and {} the default payload', () => {
    const call = awsCallFor(
      target({ type: 'lambda', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f' }),
      CONTEXT,
      { now: NOW },
    );
    expect(call.input).toMatchObject({ InvocationType: 'Event', Payload: '{}' });
  });

  it('sqs FIFO: the group as given, the execution id as deduplication id, metadata as message attributes', () => {
    // Act
    const call = awsCallFor(
      target({
        type: 'sqs',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo',
        body: 'attempt <scheduler.attempt>',
        messageGroupId: 'orders',
      }),
      CONTEXT,
      { now: NOW },
    );

    // Assess
    expect(call).toEqual({
      service: 'sqs',
      region: 'eu-west-1',
      input: {
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo',
        MessageBody: 'attempt 2',
        MessageGroupId: 'orders',
        MessageDeduplicationId: CONTEXT.executionId,
        MessageAttributes: {
          'scheduler.execution-id': { DataType: 'String', StringValue: CONTEXT.executionId },
          'scheduler.job-id': { DataType: 'String', StringValue: CONTEXT.jobId },
          'scheduler.scheduled-time': { DataType: 'String', StringValue: CONTEXT.scheduledTime },
          'scheduler.attempt': { DataType: 'Number', StringValue: '2' },
        },
      },
    });
  });

  it('sqs standard queue: no deduplication id', () => {
    const call = awsCallFor(
      target({ type: 'sqs', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', body: 'x' }),
      CONTEXT,
      { now: NOW },
    );
    expect(call.input).not.toHaveProperty('MessageDeduplicationId');
  });

  it('eventbridge: the detail with a `scheduler` member, the attempt start as event time', () => {
    // Act
    const call = awsCallFor(
      target({
        type: 'eventbridge',
        eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders',
        source: 'com.example.orders',
        detailType: 'Nightly close',
        detail: '{"day":"<scheduler.scheduled-time>"}',
      }),
      CONTEXT,
      { now: NOW },
    );

    // Assess
    expect(call.service).toBe('eventbridge');
    const entry = (call.input as { Entries: [Record<string, unknown>] }).Entries[0];
    expect(entry).toEqual({
      EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/orders',
      Source: 'com.example.orders',
      DetailType: 'Nightly close',
      Detail: expect.any(String),
      Time: new Date(NOW),
    });
    expect(JSON.parse(entry.Detail as string)).toEqual({
      day: CONTEXT.scheduledTime,
      scheduler: {
        executionId: CONTEXT.executionId,
        jobId: CONTEXT.jobId,
        scheduledTime: CONTEXT.scheduledTime,
        attempt: 2,
      },
    });
  });

  it('stepfunctions: the execution name comes from the execution id (the same for every redelivery)', () => {
    // Act
    const call = awsCallFor(
      target({
        type: 'stepfunctions',
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:close',
        input: '{"job":"<scheduler.job-id>"}',
      }),
      CONTEXT,
      { now: NOW },
    );

    // Assess
    expect(call).toEqual({
      service: 'stepfunctions',
      region: 'us-east-1',
      input: {
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:close',
        name: 'job_01JABCDEFGHJKMNPQRSTVWXYZ0-2026-03-08T07-00-00-000Z',
        input: `{"job":"${CONTEXT.jobId}"}`,
      },
    });
  });

  it('sns: message and subject filled, metadata as message attributes', () => {
    const call = awsCallFor(
      target({
        type: 'sns',
        topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
        message: 'run <scheduler.execution-id>',
        subject: 'Run <scheduler.attempt>',
      }),
      CONTEXT,
      { now: NOW },
    );
    expect(call.input).toMatchObject({
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
      Message: `run ${CONTEXT.executionId}`,
      Subject: 'Run 2',
      MessageAttributes: { 'scheduler.attempt': { DataType: 'Number', StringValue: '2' } },
    });
    expect(call.input).not.toHaveProperty('MessageDeduplicationId');
  });
});

describe('names', () => {
  it('the state machine execution name is 1–80 allowed characters; a replay gets its own', () => {
    const name = stateMachineExecutionName(CONTEXT.executionId);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    const replay = stateMachineExecutionName(CONTEXT.executionId, '2026-03-09T00:00:00.000Z');
    expect(replay).not.toBe(name);
    expect(replay).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('the STS session name is at most 64 allowed characters and names the run', () => {
    const name = roleSessionName(CONTEXT.executionId);
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(name).toContain('2026-03-08T07-00-00.000Z');
  });
});

describe('classifyAwsError', () => {
  it.each([
    [{ name: 'ThrottlingException', statusCode: 400 }, 'retryable'],
    [{ name: 'TooManyRequestsException', statusCode: 429 }, 'retryable'],
    [{ name: 'ServiceException', statusCode: 500 }, 'retryable'],
    [{ name: 'InternalFailure', statusCode: 400 }, 'retryable'],
    [{ name: 'Anything', statusCode: 503 }, 'retryable'],
    [{ name: 'Error', code: 'ECONNRESET' }, 'retryable'],
    [{ name: 'TimeoutError' }, 'retryable'],
    [{ name: 'AccessDeniedException', statusCode: 403 }, 'permanent'],
    [{ name: 'ResourceNotFoundException', statusCode: 404 }, 'permanent'],
    [{ name: 'InvalidParameterValue', statusCode: 400 }, 'permanent'],
    [{ name: 'QueueDoesNotExist', statusCode: 400 }, 'permanent'],
  ])('%j is %s', (error, expected) => {
    expect(classifyAwsError(error)).toBe(expected);
  });

  it('marks permanent errors so the executor does not retry them', () => {
    expect(isPermanentFailure('permanent: lambda AccessDeniedException: no')).toBe(true);
    expect(isPermanentFailure('lambda ThrottlingException: slow down')).toBe(false);
    expect(isPermanentFailure(null)).toBe(false);
  });

  it('keeps the first KB of a response, never cutting a character in half', () => {
    expect(Buffer.byteLength(snippet('é'.repeat(600)))).toBeLessThanOrEqual(1024);
    expect(snippet('short')).toBe('short');
  });
});
