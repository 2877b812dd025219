import type { AwsTarget } from '../../schemas/targets.js';
import { parseArn, queueUrlRegion } from './aws-arns.js';
import { type DeliveryContext, deliveryMetadata, fillPlaceholders } from './placeholders.js';

/**
 * What the executor sends to an AWS target, decided here without the SDK: the service, its region
 * and the command input, with placeholders filled and the delivery metadata placed where each
 * service has room for it (docs/targets.md, "What each target receives"). The adapters only send.
 */

export interface MessageAttribute {
  DataType: 'String' | 'Number';
  StringValue: string;
}

export type AwsCall =
  | {
      service: 'lambda';
      region: string;
      input: {
        FunctionName: string;
        InvocationType: 'Event' | 'RequestResponse';
        Payload: string;
        /** base64 JSON `{"custom":{"scheduler":{…}}}`: a Node handler reads `context.clientContext.custom.scheduler`. */
        ClientContext: string;
      };
    }
  | {
      service: 'sqs';
      region: string | undefined;
      input: {
        QueueUrl: string;
        MessageBody: string;
        MessageAttributes: Record<string, MessageAttribute>;
        MessageGroupId?: string;
        MessageDeduplicationId?: string;
      };
    }
  | {
      service: 'eventbridge';
      region: string;
      input: {
        Entries: [{ EventBusName: string; Source: string; DetailType: string; Detail: string; Time: Date }];
      };
    }
  | {
      service: 'stepfunctions';
      region: string;
      input: { stateMachineArn: string; name: string; input: string };
    }
  | {
      service: 'sns';
      region: string;
      input: {
        TopicArn: string;
        Message: string;
        Subject?: string;
        MessageAttributes: Record<string, MessageAttribute>;
        MessageGroupId?: string;
        MessageDeduplicationId?: string;
      };
    };

export type AwsService = AwsCall['service'];

/** SQS and SNS message attributes: `scheduler.execution-id`, `scheduler.job-id`, `scheduler.scheduled-time`, `scheduler.attempt`. */
export function schedulerAttributes(context: DeliveryContext): Record<string, MessageAttribute> {
  return {
    'scheduler.execution-id': { DataType: 'String', StringValue: context.executionId },
    'scheduler.job-id': { DataType: 'String', StringValue: context.jobId },
    'scheduler.scheduled-time': { DataType: 'String', StringValue: context.scheduledTime },
    'scheduler.attempt': { DataType: 'Number', StringValue: String(context.attempt) },
  };
}

/**
 * Step Functions execution name of a run: derived from the execution id (1–80 characters of
 * `[A-Za-z0-9_-]`), so a redelivered run cannot start a second execution. A replay is a new
 * series and gets a name of its own.
 */
export function stateMachineExecutionName(executionId: string, replayedAt?: string): string {
  const base = executionId.replace(/[^A-Za-z0-9_-]/g, '-');
  const suffix = replayedAt ? `-r${Date.parse(replayedAt).toString(36)}` : '';
  return `${base.slice(0, 80 - suffix.length)}${suffix}`;
}

/** STS session name from the execution id (2–64 characters of `[\w+=,.@-]`): CloudTrail shows which run assumed the role. */
export function roleSessionName(executionId: string): string {
  const name = executionId.replace(/[^\w+=,.@-]/g, '-');
  return name.length <= 64 ? name : name.slice(name.length - 64);
}

/** FIFO queues and topics: the group as given, the execution id as deduplication id. */
/**
 * What an SQS message or an SNS publish carries besides its body: the run's context as message
 * attributes and, for a FIFO queue or topic (its URL or ARN ends in `.fifo`), the message group and
 * the execution id as deduplication id.
 */
function messageFields(destination: string, groupId: string | undefined, context: DeliveryContext) {
  return {
    MessageAttributes: schedulerAttributes(context),
    ...(groupId !== undefined ? { MessageGroupId: groupId } : {}),
    ...(destination.endsWith('.fifo') ? { MessageDeduplicationId: context.executionId } : {}),
  };
}

function regionOf(arn: string): string {
  return parseArn(arn)?.region ?? '';
}

/** The call one attempt makes to an AWS target. `now` stamps EventBridge events. */
export function awsCallFor(
  target: AwsTarget,
  context: DeliveryContext,
  options: { now: number; replayedAt?: string },
): AwsCall {
  const fill = (text: string) => fillPlaceholders(text, context);
  const metadata = deliveryMetadata(context);
  switch (target.type) {
    case 'lambda':
      return {
        service: 'lambda',
        region: regionOf(target.functionArn),
        input: {
          FunctionName: target.functionArn,
          InvocationType: target.invocationType,
          Payload: fill(target.payload ?? '{}'),
          ClientContext: Buffer.from(JSON.stringify({ custom: { scheduler: metadata } })).toString('base64'),
        },
      };
    case 'sqs':
      return {
        service: 'sqs',
        region: queueUrlRegion(target.queueUrl),
        input: {
          QueueUrl: target.queueUrl,
          MessageBody: fill(target.body),
          ...messageFields(target.queueUrl, target.messageGroupId, context),
        },
      };
    case 'eventbridge': {
      const detail = JSON.parse(fill(target.detail)) as Record<string, unknown>;
      return {
        service: 'eventbridge',
        region: regionOf(target.eventBusArn),
        input: {
          Entries: [
            {
              EventBusName: target.eventBusArn,
              Source: target.source,
              DetailType: target.detailType,
              Detail: JSON.stringify({ ...detail, scheduler: metadata }),
              Time: new Date(options.now),
            },
          ],
        },
      };
    }
    case 'stepfunctions':
      return {
        service: 'stepfunctions',
        region: regionOf(target.stateMachineArn),
        input: {
          stateMachineArn: target.stateMachineArn,
          name: stateMachineExecutionName(context.executionId, options.replayedAt),
          input: fill(target.input),
        },
      };
    case 'sns':
      return {
        service: 'sns',
        region: regionOf(target.topicArn),
        input: {
          TopicArn: target.topicArn,
          Message: fill(target.message),
          ...(target.subject !== undefined ? { Subject: fill(target.subject) } : {}),
          ...messageFields(target.topicArn, target.messageGroupId, context),
        },
      };
  }
}

/** How an AWS error is handled: retried under the job's retry policy, or the end of the execution. */
export type ErrorClass = 'retryable' | 'permanent';

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'KMSThrottlingException',
  'EC2ThrottledException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalErrorException',
  'ResourceNotReadyException',
  'ResourceConflictException',
  'ExpiredToken',
  'ExpiredTokenException',
  'IDPCommunicationError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Network-level failures (no answer from the service) retry. */
const NETWORK_CODES = /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|ECONNABORTED)$/;

/**
 * Throttling, 5xx-type errors and network failures are retried; any other 4xx-type error (access
 * denied, a missing resource, a bad parameter) fails the attempt for good: retrying cannot help.
 */
export function classifyAwsError(error: { name?: string; statusCode?: number; code?: string }): ErrorClass {
  if (error.name && RETRYABLE_NAMES.has(error.name)) return 'retryable';
  if (error.code && NETWORK_CODES.test(error.code)) return 'retryable';
  const status = error.statusCode;
  if (status === undefined) return 'retryable';
  if (status === 408 || status === 429 || status >= 500) return 'retryable';
  return 'permanent';
}

/**
 * Whether an error is a dependency (DynamoDB, SQS, …) throttled, failing or out of reach rather
 * than a fault of ours: an SDK service error the rules above retry (it carries `$metadata`), or a
 * network failure. A request that met one may be sent again as it is.
 */
export function isTransientDependencyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (e.$metadata !== undefined) {
    return classifyAwsError({ name: e.name, statusCode: e.$metadata.httpStatusCode }) === 'retryable';
  }
  return typeof e.code === 'string' && NETWORK_CODES.test(e.code);
}

/** An attempt's `error` for a permanent failure starts with this: the executor does not retry it. */
export const PERMANENT_PREFIX = 'permanent: ';

export function isPermanentFailure(error: string | null | undefined): boolean {
  return typeof error === 'string' && error.startsWith(PERMANENT_PREFIX);
}

/** Keep this much of a RequestResponse function's answer on the attempt (an execution item stays small). */
export const RESPONSE_SNIPPET_BYTES = 1024;

export function snippet(text: string, bytes = RESPONSE_SNIPPET_BYTES): string {
  const buffer = Buffer.from(text, 'utf8');
  return buffer.length <= bytes
    ? text
    : buffer
        .subarray(0, bytes)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
}

/** One attempt's error text: service, error name, message, capped; permanent ones marked. */
export function attemptError(service: AwsService, kind: ErrorClass, name: string, message: string): string {
  const text = `${service} ${name}: ${message}`.replace(/\s+/g, ' ').slice(0, 300);
  return kind === 'permanent' ? `${PERMANENT_PREFIX}${text}` : text;
}
