import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RUN_REDELIVERY } from '../../lambdas/executor/redelivery.js';
import { NOTIFICATION_REDELIVERY } from '../../lambdas/notifier/redelivery.js';
import type { Priority } from '../../schemas/job.js';

export const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low'];

export interface SchedulerQueuesProps {
  /**
   * Visibility timeout of the run queues: how long a received run stays hidden while an executor
   * works on it (its lease), so it must cover the executor's longest invocation. A run the executor
   * reports as failed comes back sooner: the executor shortens its visibility (RUN_REDELIVERY).
   * @default Duration.seconds(960)
   */
  readonly runVisibilityTimeout?: Duration;
  /** Visibility timeout of the notifications queue. @default Duration.seconds(180) - six times the notifier's 30 s */
  readonly notificationsVisibilityTimeout?: Duration;
  /** Receives of one run before it moves to its queue's dead-letter queue. @default RUN_REDELIVERY.maxReceiveCount */
  readonly runMaxReceiveCount?: number;
  /** Delivery tries of one notification before its dead-letter queue. @default NOTIFICATION_REDELIVERY.maxReceiveCount */
  readonly notificationsMaxReceiveCount?: number;
  /** How long dead letters are kept for inspection and redrive. @default Duration.days(14) (the SQS maximum) */
  readonly deadLetterRetention?: Duration;
  /**
   * What deleting the stack does to the dead-letter queues: they hold runs and notifications
   * that failed, which are data like the tables. @default RemovalPolicy.RETAIN
   */
  readonly deadLetterRemovalPolicy?: RemovalPolicy;
}

/** A queue with SSE, TLS-only access and its own dead-letter queue. */
export interface QueueWithDeadLetters {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * The run queues, one per priority so each gets its own executor concurrency, and the
 * notifications queue. Each has its own dead-letter queue, so a DLQ's alarm names what failed.
 */
export class SchedulerQueues extends Construct {
  readonly run: Readonly<Record<Priority, QueueWithDeadLetters>>;
  readonly notifications: QueueWithDeadLetters;

  constructor(scope: Construct, id: string, props: SchedulerQueuesProps = {}) {
    super(scope, id);
    const retention = props.deadLetterRetention ?? Duration.days(14);
    const removalPolicy = props.deadLetterRemovalPolicy ?? RemovalPolicy.RETAIN;
    const withDeadLetters = (
      name: string,
      visibilityTimeout: Duration,
      maxReceiveCount: number,
    ): QueueWithDeadLetters => {
      const deadLetterQueue = new sqs.Queue(this, `${name}DeadLetters`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: retention,
        removalPolicy,
      });
      const queue = new sqs.Queue(this, name, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout,
        // Longer than any retry or delayed run can wait in it (DelaySeconds ≤ 900).
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
      });
      return { queue, deadLetterQueue };
    };
    const runVisibility = props.runVisibilityTimeout ?? Duration.seconds(960);
    const runReceives = props.runMaxReceiveCount ?? RUN_REDELIVERY.maxReceiveCount;
    this.run = {
      high: withDeadLetters('RunHigh', runVisibility, runReceives),
      normal: withDeadLetters('RunNormal', runVisibility, runReceives),
      low: withDeadLetters('RunLow', runVisibility, runReceives),
    };
    this.notifications = withDeadLetters(
      'Notifications',
      props.notificationsVisibilityTimeout ?? Duration.seconds(180),
      props.notificationsMaxReceiveCount ?? NOTIFICATION_REDELIVERY.maxReceiveCount,
    );
  }

  /** Every run queue, in priority order. */
  get runQueues(): sqs.Queue[] {
    return PRIORITIES.map((priority) => this.run[priority].queue);
  }

  /** Every dead-letter queue of this construct. */
  get deadLetterQueues(): sqs.Queue[] {
    return [
      ...PRIORITIES.map((priority) => this.run[priority].deadLetterQueue),
      this.notifications.deadLetterQueue,
    ];
  }
}
