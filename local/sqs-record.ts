import type { Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * A received SQS message as the record Lambda's SQS event source would hand a handler, so the
 * local pollers run the same batch logic as the deployed functions. `ApproximateReceiveCount`
 * is carried when the receive asked for it (the notifier counts delivery attempts with it).
 */
export function sqsRecordOf(message: Message, queueUrl: string): SQSRecord {
  const receiveCount = message.Attributes?.ApproximateReceiveCount;
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: (receiveCount === undefined
      ? {}
      : { ApproximateReceiveCount: receiveCount }) as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueUrl,
    awsRegion: 'us-east-1',
  };
}
