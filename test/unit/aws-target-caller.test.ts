import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CREDENTIALS_REFRESH_MARGIN_MS,
  RoleCredentials,
  SdkAwsTargetCaller,
} from '../../lambdas/adapters/aws-target-caller.js';
import type { AwsCall } from '../../lambdas/core/aws-targets.js';
import type { AwsTargetRequest } from '../../lambdas/core/ports/aws-target-caller.js';

const sts = mockClient(STSClient);
const lambda = mockClient(LambdaClient);
const sqs = mockClient(SQSClient);
const events = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const ROLE = 'arn:aws:iam::123456789012:role/scheduler-target-orders';
const EXECUTION = 'job_01JABCDEFGHJKMNPQRSTVWXYZ0:2026-03-08T07:00:00.000Z';
const T0 = Date.parse('2026-03-08T07:00:00.000Z');

let now = T0;
const caller = () => new SdkAwsTargetCaller(new RoleCredentials(new STSClient({}), () => now), 'us-east-1');

function request(call: AwsCall, overrides: Partial<AwsTargetRequest> = {}): AwsTargetRequest {
  return { call, roleArn: ROLE, tenant: 'team-a', executionId: EXECUTION, timeoutMs: 5000, ...overrides };
}

const lambdaCall = (invocationType: 'Event' | 'RequestResponse' = 'Event'): AwsCall => ({
  service: 'lambda',
  region: 'eu-west-1',
  input: {
    FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:send',
    InvocationType: invocationType,
    Payload: '{"a":1}',
    ClientContext: 'e30=',
  },
});

/** A Lambda response payload as the SDK returns it (bytes that can also read themselves as text). */
const blob = (text: string) => Object.assign(Buffer.from(text), { transformToString: () => text });

function awsError(name: string, status: number, message = `${name} happened`) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

beforeEach(() => {
  now = T0;
  sts.on(AssumeRoleCommand).callsFake(() => ({
    Credentials: {
      AccessKeyId: 'ASIA-TEST',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(now + 3600_000),
    },
  }));
});

afterEach(() => {
  for (const mock of [sts, lambda, sqs, events, sfn, sns]) mock.reset();
});

describe('SdkAwsTargetCaller', () => {
  describe('role assumption', () => {
    it('assumes the role with the tenant as ExternalId and a session named after the execution', async () => {
      // Prepare
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

      // Act
      await caller().call(request(lambdaCall()));

      // Assess
      expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
        {
          RoleArn: ROLE,
          RoleSessionName: 'job_01JABCDEFGHJKMNPQRSTVWXYZ0-2026-03-08T07-00-00.000Z',
          ExternalId: 'team-a',
          DurationSeconds: 3600,
        },
      ]);
    });

    it('reuses credentials per (tenant, role) until shortly before they expire', async () => {
      // Prepare
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
      const target = caller();

      // Act
      await target.call(request(lambdaCall()));
      await target.call(request(lambdaCall()));
      now = T0 + 3600_000 - CREDENTIALS_REFRESH_MARGIN_MS - 1000;
      await target.call(request(lambdaCall()));
      const beforeRefresh = sts.commandCalls(AssumeRoleCommand).length;
      now = T0 + 3600_000 - CREDENTIALS_REFRESH_MARGIN_MS + 1000;
      await target.call(request(lambdaCall()));

      // Assess
      expect(beforeRefresh).toBe(1);
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    });

    it('never shares one tenant’s credentials with another tenant naming the same role', async () => {
      // Prepare
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
      const target = caller();

      // Act
      await target.call(request(lambdaCall()));
      await target.call(request(lambdaCall(), { tenant: 'team-b' }));

      // Assess
      expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.ExternalId)).toEqual([
        'team-a',
        'team-b',
      ]);
    });

    it('concurrent attempts share one AssumeRole', async () => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
      const target = caller();
      await Promise.all([1, 2, 3].map(() => target.call(request(lambdaCall()))));
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    });

    it('a role that does not trust the scheduler fails the attempt for good, and nothing is called', async () => {
      // Prepare
      sts
        .on(AssumeRoleCommand)
        .rejects(awsError('AccessDenied', 403, 'not authorized to perform sts:AssumeRole'));

      // Act
      const outcome = await caller().call(request(lambdaCall()));

      // Assess
      expect(outcome).toMatchObject({
        kind: 'error',
        error: 'permanent: sts AccessDenied: not authorized to perform sts:AssumeRole',
      });
      expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    });

    it('an STS outage is retried', async () => {
      sts.on(AssumeRoleCommand).rejects(awsError('ServiceUnavailable', 503));
      const outcome = await caller().call(request(lambdaCall()));
      expect(outcome).toMatchObject({
        kind: 'error',
        error: 'sts ServiceUnavailable: ServiceUnavailable happened',
      });
    });
  });

  describe('lambda', () => {
    it('invokes with the exact input and records the status', async () => {
      // Prepare
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

      // Act
      const outcome = await caller().call(request(lambdaCall()));

      // Assess
      const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
      expect({ ...input, Payload: Buffer.from(input.Payload as Uint8Array).toString() }).toEqual({
        FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:send',
        InvocationType: 'Event',
        Payload: '{"a":1}',
        ClientContext: 'e30=',
      });
      expect(outcome).toMatchObject({ kind: 'response', statusCode: 202, response: { statusCode: '202' } });
    });

    it('keeps the first KB of a RequestResponse answer', async () => {
      // Prepare
      const answer = JSON.stringify({ ok: true, pad: 'x'.repeat(2000) });
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, ExecutedVersion: '7', Payload: blob(answer) });

      // Act
      const outcome = await caller().call(request(lambdaCall('RequestResponse')));

      // Assess
      expect(outcome.response).toEqual({
        statusCode: '200',
        executedVersion: '7',
        payload: answer.slice(0, 1024),
      });
    });

    it('a RequestResponse function error fails the attempt permanently, keeping what it returned', async () => {
      // Prepare
      const payload = '{"errorType":"Error","errorMessage":"boom"}';
      lambda
        .on(InvokeCommand)
        .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: blob(payload) });

      // Act
      const outcome = await caller().call(request(lambdaCall('RequestResponse')));

      // Assess
      expect(outcome).toMatchObject({
        kind: 'error',
        error: `permanent: lambda FunctionError Unhandled: ${payload}`,
        response: { functionError: 'Unhandled', payload },
      });
    });

    it('throttling is retried; a missing function is not', async () => {
      // Prepare
      lambda
        .on(InvokeCommand)
        .rejectsOnce(
          new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
        )
        .rejectsOnce(
          new ResourceNotFoundException({
            message: 'Function not found',
            $metadata: { httpStatusCode: 404 },
          }),
        );
      const target = caller();

      // Act
      const throttled = await target.call(request(lambdaCall()));
      const missing = await target.call(request(lambdaCall()));

      // Assess
      expect(throttled).toMatchObject({
        kind: 'error',
        error: 'lambda TooManyRequestsException: Rate exceeded',
      });
      expect(missing).toMatchObject({
        kind: 'error',
        error: 'permanent: lambda ResourceNotFoundException: Function not found',
      });
    });

    it('a call past the timeout is a timed-out attempt', async () => {
      lambda.on(InvokeCommand).callsFake(
        (_input, getClient) =>
          new Promise((_resolve, reject) => {
            void getClient;
            setTimeout(() => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), 50);
          }),
      );
      const outcome = await caller().call(request(lambdaCall(), { timeoutMs: 10 }));
      expect(outcome).toMatchObject({ kind: 'error', timedOut: true, error: 'timed out after 10 ms' });
    });
  });

  describe('sqs', () => {
    it('sends the exact message and records its id', async () => {
      // Prepare
      sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1', SequenceNumber: '42' });
      const call: AwsCall = {
        service: 'sqs',
        region: 'eu-west-1',
        input: {
          QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo',
          MessageBody: 'hello',
          MessageAttributes: { 'scheduler.attempt': { DataType: 'Number', StringValue: '1' } },
          MessageGroupId: 'g',
          MessageDeduplicationId: EXECUTION,
        },
      };

      // Act
      const outcome = await caller().call(request(call));

      // Assess
      expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input).toEqual(call.input);
      expect(outcome).toMatchObject({
        kind: 'response',
        response: { messageId: 'm-1', sequenceNumber: '42' },
      });
    });

    it('a missing queue is permanent', async () => {
      sqs
        .on(SendMessageCommand)
        .rejects(awsError('QueueDoesNotExist', 400, 'The specified queue does not exist.'));
      const outcome = await caller().call(
        request({
          service: 'sqs',
          region: 'us-east-1',
          input: {
            QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
            MessageBody: 'x',
            MessageAttributes: {},
          },
        }),
      );
      expect(outcome).toMatchObject({
        error: 'permanent: sqs QueueDoesNotExist: The specified queue does not exist.',
      });
    });
  });

  describe('eventbridge', () => {
    const call: AwsCall = {
      service: 'eventbridge',
      region: 'us-east-1',
      input: {
        Entries: [
          {
            EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/orders',
            Source: 'com.example',
            DetailType: 'Tick',
            Detail: '{"scheduler":{}}',
            Time: new Date(T0),
          },
        ],
      },
    };

    it('puts the exact event and records its id', async () => {
      events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
      const outcome = await caller().call(request(call));
      expect(events.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual(call.input);
      expect(outcome).toMatchObject({ kind: 'response', response: { eventId: 'e-1' } });
    });

    it('a throttled entry is retried; a refused entry is permanent', async () => {
      // Prepare
      events
        .on(PutEventsCommand)
        .resolvesOnce({
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow' }],
        })
        .resolvesOnce({
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }],
        });
      const target = caller();

      // Act
      const throttled = await target.call(request(call));
      const refused = await target.call(request(call));

      // Assess
      expect(throttled).toMatchObject({ kind: 'error', error: 'eventbridge ThrottlingException: slow' });
      expect(refused).toMatchObject({
        kind: 'error',
        error: 'permanent: eventbridge AccessDeniedException: no',
      });
    });
  });

  describe('stepfunctions', () => {
    const call: AwsCall = {
      service: 'stepfunctions',
      region: 'us-east-1',
      input: {
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:close',
        name: 'job_01-2026-03-08T07-00-00-000Z',
        input: '{}',
      },
    };

    it('starts the exact execution and records its ARN', async () => {
      sfn
        .on(StartExecutionCommand)
        .resolves({ executionArn: 'arn:aws:states:…:execution:close:x', startDate: new Date(T0) });
      const outcome = await caller().call(request(call));
      expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual(call.input);
      expect(outcome.response).toEqual({
        executionArn: 'arn:aws:states:…:execution:close:x',
        startDate: '2026-03-08T07:00:00.000Z',
      });
    });

    it('an execution of the same name means an earlier delivery started it: success, not a second run', async () => {
      sfn
        .on(StartExecutionCommand)
        .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: { httpStatusCode: 400 } }));
      const outcome = await caller().call(request(call));
      expect(outcome).toMatchObject({
        kind: 'response',
        response: { status: 'already started', name: call.input.name },
      });
    });
  });

  describe('sns', () => {
    it('publishes the exact message and records its id; a 500 is retried', async () => {
      // Prepare
      sns
        .on(PublishCommand)
        .resolvesOnce({ MessageId: 'n-1' })
        .rejectsOnce(awsError('InternalErrorException', 500));
      const call: AwsCall = {
        service: 'sns',
        region: 'us-east-1',
        input: {
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
          Message: 'hi',
          Subject: 'S',
          MessageAttributes: {},
        },
      };
      const target = caller();

      // Act
      const sent = await target.call(request(call));
      const failed = await target.call(request(call));

      // Assess
      expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual(call.input);
      expect(sent).toMatchObject({ kind: 'response', response: { messageId: 'n-1' } });
      expect(failed).toMatchObject({
        kind: 'error',
        error: 'sns InternalErrorException: InternalErrorException happened',
      });
    });
  });
});
