import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TTL_PRINCIPAL } from '../../schemas/stream.js';
import type { ExecutionArchive } from './archive.js';
import { deadLetterQueue } from './dead-letters.js';
import { HandlerConstruct, type HandlerSettings } from './function.js';

export interface ArchiverProps extends HandlerSettings {
  /** Its stream (OLD_IMAGE) feeds the archiver. */
  readonly executionsTable: dynamodb.ITable;
  readonly archive: ExecutionArchive;
  /** Stream records per invocation; one S3 object per batch and partition, so bigger is cheaper. @default 1000 */
  readonly batchSize?: number;
  /**
   * Archiving is not urgent and S3 PUTs are its main cost (one object per batch and job-day):
   * the longest window a DynamoDB stream source allows gathers the most removals per object.
   * @default Duration.seconds(300)
   */
  readonly maxBatchingWindow?: Duration;
}

/**
 * The archiver: reads the Executions stream, keeps only what TTL removed (deletes by anyone else
 * are not history leaving the hot window), and writes it to the archive. Records of a batch that
 * keeps failing are bisected and retried; what still fails is reported to a queue of its own.
 */
export class Archiver extends HandlerConstruct {
  /** Pointers to stream batches that could not be archived (the records themselves expire in 24 h). */
  readonly failures: sqs.Queue;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: ArchiverProps) {
    super(scope, id, 'archiver', props, {
      description: 'Scheduler archiver: TTL-expired executions to S3',
      timeout: Duration.seconds(120),
      memorySize: 1024,
    });
    props.archive.grantWrite(this.handler);

    this.failures = deadLetterQueue(
      this,
      'Failures',
      'the on-failure destination of the archiver stream event source',
    );
    this.eventSource = new DynamoEventSource(props.executionsTable, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 1000,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(300),
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      onFailure: new SqsDlq(this.failures),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('REMOVE'),
          userIdentity: {
            type: lambda.FilterRule.isEqual('Service'),
            principalId: lambda.FilterRule.isEqual(TTL_PRINCIPAL),
          },
        }),
      ],
    });
    this.handler.addEventSource(this.eventSource);
  }
}
