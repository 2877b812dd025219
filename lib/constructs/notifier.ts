import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/composition/config.js';
import { grantCodeAccess } from './access.js';
import { HandlerConstruct, type HandlerSettings } from './function.js';

export const NOTIFIER_TIMEOUT = Duration.seconds(30);

export interface NotifierProps extends HandlerSettings {
  readonly queue: sqs.IQueue;
  /** SES identity (verified domain or address) the notifier may send from. @default - no email permission at all */
  readonly sesIdentity?: string;
  /** Sender address, within `sesIdentity`. @default - `sesIdentity` if it is an address, else `scheduler@<sesIdentity>` */
  readonly emailFrom?: string;
  /** Event source `maximumConcurrency`: webhooks are customers' endpoints too. @default 10 */
  readonly concurrency?: number;
}

function senderOf(identity: string): string {
  return identity.includes('@') ? identity : `scheduler@${identity}`;
}

/** The notifier: delivers queued notifications as signed webhooks or SES email. */
export class Notifier extends HandlerConstruct {
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id, 'notifier', props, {
      description: 'Scheduler notifier: webhooks and email about executions',
      environment: {
        ...(props.sesIdentity ? { [ENV.emailFrom]: props.emailFrom ?? senderOf(props.sesIdentity) } : {}),
      },
      timeout: NOTIFIER_TIMEOUT,
      memorySize: 256,
    });
    this.eventSource = new SqsEventSource(props.queue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: props.concurrency ?? 10,
    });
    this.handler.addEventSource(this.eventSource);
    grantCodeAccess(this.handler, 'notifier', { notificationsQueue: props.queue });

    if (props.sesIdentity) {
      this.handler.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [
            Stack.of(this).formatArn({
              service: 'ses',
              resource: 'identity',
              resourceName: props.sesIdentity,
            }),
          ],
        }),
      );
    }
  }
}
