import { marshall } from '@aws-sdk/util-dynamodb';
import { executionItemOf } from '../../lambdas/adapters/dynamo-execution-items.js';
import type { ExecutionRecord } from '../../schemas/records.js';
import type { StreamRecord } from '../../schemas/stream.js';
import { TTL_PRINCIPAL } from '../../schemas/stream.js';

/**
 * A DynamoDB Streams record as Lambda delivers it for an item that DynamoDB's TTL removed,
 * `removedAtSeconds` after the epoch (its `ApproximateCreationDateTime`).
 */
export function ttlRemoval(
  item: ExecutionRecord,
  sequenceNumber: string,
  removedAtSeconds = 1_780_000_000,
): StreamRecord {
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'REMOVE',
    eventSource: 'aws:dynamodb',
    userIdentity: { type: 'Service', principalId: TTL_PRINCIPAL },
    dynamodb: {
      ApproximateCreationDateTime: removedAtSeconds,
      Keys: marshall({ jobId: item.jobId, scheduledAt: item.scheduledAt }),
      OldImage: marshall(executionItemOf(item), { removeUndefinedValues: true }),
      SequenceNumber: sequenceNumber,
      StreamViewType: 'OLD_IMAGE',
    },
  };
}

/** The same removal made by a user's DeleteItem: no TTL identity. */
export function userRemoval(item: ExecutionRecord, sequenceNumber: string): StreamRecord {
  const { userIdentity: _u, ...rest } = ttlRemoval(item, sequenceNumber);
  return rest;
}
