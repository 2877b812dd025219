import { z } from 'zod';

/**
 * A DynamoDB Streams record as Lambda delivers it (and as the local TTL sweeper builds it).
 * Only the fields the archiver reads are checked; the rest passes through untouched.
 */
export const StreamRecord = z.looseObject({
  eventID: z.string().optional(),
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']).optional(),
  eventSource: z.string().optional(),
  userIdentity: z.looseObject({ type: z.string().optional(), principalId: z.string().optional() }).optional(),
  dynamodb: z.looseObject({
    SequenceNumber: z.string().min(1),
    ApproximateCreationDateTime: z.number().optional(),
    Keys: z.record(z.string(), z.unknown()).optional(),
    /** Marshalled (AttributeValue) image of the item before the change: present with view OLD_IMAGE. */
    OldImage: z.record(z.string(), z.unknown()).optional(),
    StreamViewType: z.string().optional(),
  }),
});
export type StreamRecord = z.infer<typeof StreamRecord>;

export const StreamEvent = z.looseObject({ Records: z.array(StreamRecord) });
export type StreamEvent = z.infer<typeof StreamEvent>;

/** What DynamoDB puts in `userIdentity.principalId` of the removals its TTL process makes. */
export const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';
