import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Priority } from '../../schemas/job.js';

export const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low'];

export interface SchedulerQueuesProps {
  /**
   * Visibility timeout of the run queues. AWS guidance for a Lambda event source is at least six
   * times the function timeout (it leaves room for retries of a throttled batch).
   * @default Duration.seconds(5400) - six times the executor's 900 s
   */
  readonly runVisibilityTimeout?: Duration;
  /** Visibility timeout of the notifications queue. @default Duration.seconds(180) - six times the notifier's 30 s */
  readonly notificationsVisibilityTimeout?: Duration;
  /** Receives of one message before it moves to its queue's dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** How long dead letters are kept for inspection and redrive. @default Duration.days(14) (the SQS maximum) */
  readonly deadLetterRetention?: Duration;
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
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const retention = props.deadLetterRetention ?? Duration.days(14);
    const withDeadLetters = (name: string, visibilityTimeout: Duration): QueueWithDeadLetters => {
      const deadLetterQueue = new sqs.Queue(this, `${name}DeadLetters`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: retention,
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
    const runVisibility = props.runVisibilityTimeout ?? Duration.seconds(5400);
    this.run = {
      high: withDeadLetters('RunHigh', runVisibility),
      normal: withDeadLetters('RunNormal', runVisibility),
      low: withDeadLetters('RunLow', runVisibility),
    };
    this.notifications = withDeadLetters(
      'Notifications',
      props.notificationsVisibilityTimeout ?? Duration.seconds(180),
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
