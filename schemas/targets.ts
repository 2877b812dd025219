import { z } from 'zod';

/**
 * AWS-native targets (docs/targets.md). Each names a `roleArn` the executor assumes (ExternalId =
 * the tenant) to make the call. Shapes are checked here; the deployment's role pattern and
 * partition are checked by the service at create and PATCH (lambdas/core/aws-arns.ts).
 */

/** Payload texts share the HTTP body limit. */
export const AWS_PAYLOAD_LIMIT_BYTES = 64 * 1024;

const payloadText = (what: string) =>
  z
    .string()
    .refine((b) => Buffer.byteLength(b, 'utf8') <= AWS_PAYLOAD_LIMIT_BYTES, 'must be at most 64 KiB')
    .describe(
      `${what}. May carry <scheduler.execution-id>, <scheduler.job-id>, <scheduler.scheduled-time> and <scheduler.attempt>, replaced at call time.`,
    );

const arnOf = (service: string, example: string) =>
  z
    .string()
    .max(2048)
    .regex(new RegExp(`^arn:[a-z-]+:${service}:`), `must be an ${service} ARN (${example})`);

const RoleArn = z
  .string()
  .max(2048)
  .regex(
    /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'must be an IAM role ARN (arn:aws:iam::123456789012:role/name)',
  )
  .describe(
    'IAM role the executor assumes to make the call (ExternalId = your tenant id); it must match the deployment’s role pattern.',
  );

const MessageGroupId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1–128 printable ASCII characters');
const fifoNeedsGroup = (what: string) => ({
  message: `a FIFO ${what} needs a messageGroupId`,
  path: ['messageGroupId'],
});

/** `<…>` placeholders inside JSON strings keep the text valid JSON; the check replaces them first. */
function isJsonText(text: string, object: boolean): boolean {
  try {
    const value: unknown = JSON.parse(
      text.replace(/<scheduler\.(execution-id|job-id|scheduled-time|attempt)>/g, '0'),
    );
    return !object || (typeof value === 'object' && value !== null && !Array.isArray(value));
  } catch {
    return false;
  }
}

/** An AWS target: its `type`, its own fields, then the role it is called with. */
function awsTarget<const T extends string, S extends z.ZodRawShape>(type: T, fields: S) {
  return z.strictObject({ type: z.literal(type), ...fields, roleArn: RoleArn });
}

export const LambdaTarget = awsTarget('lambda', {
  functionArn: arnOf('lambda', 'arn:aws:lambda:us-east-1:123456789012:function:name[:alias]').regex(
    /^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[\w-]{1,140}(:(\$LATEST|[\w-]{1,128}))?$/,
    'must be a function ARN, optionally qualified with a version or alias',
  ),
  invocationType: z.enum(['Event', 'RequestResponse']).default('Event'),
  payload: payloadText('Invocation payload (JSON text), sent as written').optional(),
}).meta({ id: 'LambdaTarget' });

export const SqsTarget = awsTarget('sqs', {
  queueUrl: z
    .url({ protocol: /^https?$/, message: 'must be an SQS queue URL' })
    .max(2048)
    .regex(
      /^https?:\/\/[^/]+\/\d{12}\/[\w-]{1,80}(\.fifo)?$/,
      'must be a queue URL: https://sqs.<region>.amazonaws.com/<account>/<queue>',
    ),
  body: payloadText('Message body'),
  /** FIFO queues need one; the deduplication id is the execution id. */
  messageGroupId: MessageGroupId.optional(),
})
  .refine((t) => !t.queueUrl.endsWith('.fifo') || t.messageGroupId !== undefined, fifoNeedsGroup('queue'))
  .meta({ id: 'SqsTarget' });

export const EventBridgeTarget = awsTarget('eventbridge', {
  eventBusArn: arnOf('events', 'arn:aws:events:us-east-1:123456789012:event-bus/default').regex(
    /^arn:[a-z-]+:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256}$/,
    'must be an event bus ARN',
  ),
  source: z
    .string()
    .min(1)
    .max(256)
    .refine((s) => !s.startsWith('aws.'), 'must not start with "aws." (reserved by AWS)'),
  detailType: z.string().min(1).max(128),
  detail: payloadText('Event detail: a JSON object; the scheduler adds a `scheduler` member')
    .refine((d) => isJsonText(d, true), 'must be a JSON object')
    .refine((d) => {
      try {
        return !('scheduler' in (JSON.parse(d.replace(/<scheduler\.[a-z-]+>/g, '0')) as object));
      } catch {
        return true;
      }
    }, 'must not have a top-level "scheduler" member: the scheduler puts the delivery metadata there')
    .default('{}'),
}).meta({ id: 'EventBridgeTarget' });

export const StepFunctionsTarget = awsTarget('stepfunctions', {
  stateMachineArn: arnOf('states', 'arn:aws:states:us-east-1:123456789012:stateMachine:name').regex(
    /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/,
    'must be a state machine ARN',
  ),
  input: payloadText('Execution input (JSON text)')
    .refine((d) => isJsonText(d, false), 'must be JSON')
    .default('{}'),
}).meta({ id: 'StepFunctionsTarget' });

export const SnsTarget = awsTarget('sns', {
  topicArn: arnOf('sns', 'arn:aws:sns:us-east-1:123456789012:topic').regex(
    /^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/,
    'must be a topic ARN',
  ),
  message: payloadText('Message'),
  subject: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII without line breaks')
    .optional(),
  /** FIFO topics need one; the deduplication id is the execution id. */
  messageGroupId: MessageGroupId.optional(),
})
  .refine((t) => !t.topicArn.endsWith('.fifo') || t.messageGroupId !== undefined, fifoNeedsGroup('topic'))
  .meta({ id: 'SnsTarget' });

export const AWS_TARGETS = [
  LambdaTarget,
  SqsTarget,
  EventBridgeTarget,
  StepFunctionsTarget,
  SnsTarget,
] as const;

export type LambdaTarget = z.infer<typeof LambdaTarget>;
export type SqsTarget = z.infer<typeof SqsTarget>;
export type EventBridgeTarget = z.infer<typeof EventBridgeTarget>;
export type StepFunctionsTarget = z.infer<typeof StepFunctionsTarget>;
export type SnsTarget = z.infer<typeof SnsTarget>;
export type AwsTarget = LambdaTarget | SqsTarget | EventBridgeTarget | StepFunctionsTarget | SnsTarget;
export type AwsTargetType = AwsTarget['type'];
export const AWS_TARGET_TYPES: readonly AwsTargetType[] = [
  'lambda',
  'sqs',
  'eventbridge',
  'stepfunctions',
  'sns',
];
