import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Delays the redelivery of a received message: its visibility becomes `delaySeconds` from now
 * (SQS ChangeMessageVisibility), so a failed notification comes back later each time.
 */
export function redeliverLater(
  sqs: SQSClient,
  queueUrl: string,
): (record: { receiptHandle: string }, delaySeconds: number) => Promise<void> {
  return async (record, delaySeconds) => {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: delaySeconds,
      }),
    );
  };
}
