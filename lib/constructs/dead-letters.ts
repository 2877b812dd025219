import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue that keeps, for 14 days, what failed somewhere that is not an SQS redrive (a stream
 * event source's on-failure destination, a Scheduler target's DLQ). cdk-nag only recognises
 * redrive policies and function DLQs as dead-letter queues, so its finding is acknowledged with
 * `role`, what the queue is the dead letters of. Nothing consumes it, so it needs none of its own.
 */
export function deadLetterQueue(scope: Construct, id: string, role: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is a dead-letter queue: ${role}. Nothing consumes it, so it needs none of its own.`,
  });
  return queue;
}
