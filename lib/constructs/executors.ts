import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Priority } from '../../schemas/job.js';
import { MAX_TIMEOUT_SECONDS } from '../../schemas/job.js';
import { grantCodeAccess } from './access.js';
import { acknowledgeWildcards, HandlerConstruct, type HandlerSettings } from './function.js';
import { EXECUTOR_MEMORY_MB } from './memory.js';

/**
 * What an invocation spends besides the target call itself: the claim, the sub-second wait until
 * the run is due, the result, events, notifications and dependency bookkeeping.
 */
export const EXECUTOR_OVERHEAD = Duration.seconds(60);

/**
 * Lambda's longest timeout. A job's `timeoutSeconds` stops at MAX_TIMEOUT_SECONDS so the longest
 * call plus EXECUTOR_OVERHEAD fits: a slow target is then recorded `timed_out`, never killed with
 * its batch by Lambda. Longer work belongs to async targets (heartbeat/complete).
 */
export const EXECUTOR_TIMEOUT = Duration.seconds(900);
if (MAX_TIMEOUT_SECONDS + EXECUTOR_OVERHEAD.toSeconds() > EXECUTOR_TIMEOUT.toSeconds()) {
  throw new Error('MAX_TIMEOUT_SECONDS leaves the executor no time to claim and record a run');
}

export interface ExecutorsProps extends HandlerSettings {
  readonly jobsTable: dynamodb.ITable;
  readonly executionsTable: dynamodb.ITable;
  /** The run queue of each priority: consumed, and sent to for retries. */
  readonly runQueues: Readonly<Record<Priority, sqs.IQueue>>;
  readonly notificationsQueue: sqs.IQueue;
  /** Event source `maximumConcurrency` per priority: the backpressure on targets. */
  readonly concurrency: Readonly<Record<Priority, number>>;
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** MB. @default EXECUTOR_MEMORY_MB (256) */
  readonly memorySize?: number;
  /** Roles of AWS-native targets the executor may assume (an IAM ARN pattern); the only roles it can. */
  readonly targetRolePattern: string;
}

/**
 * The executor: one function fed by the three run queues, each event source capped at its own
 * concurrency so `high` keeps flowing while `low` is backed up, with partial batch responses so
 * one failed run does not redeliver its batch-mates.
 */
export class Executors extends HandlerConstruct {
  readonly eventSources: Readonly<Record<Priority, SqsEventSource>>;

  constructor(scope: Construct, id: string, props: ExecutorsProps) {
    super(scope, id, 'executor', props, {
      description: 'Scheduler executor: claims a run, calls its target, records the outcome',
      timeout: EXECUTOR_TIMEOUT,
      memorySize: props.memorySize ?? EXECUTOR_MEMORY_MB,
    });
    const runQueues = [props.runQueues.high, props.runQueues.normal, props.runQueues.low];
    grantCodeAccess(this.handler, 'executor', { ...props, runQueues });
    // AWS-native targets: the executor acts only through roles a team made for it (their trust
    // policy checks our role and the tenant's ExternalId), and only roles matching the pattern.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [props.targetRolePattern] }),
    );
    acknowledgeWildcards(
      this.handler.role ?? this.handler,
      [
        `Resource::${props.targetRolePattern.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/, '<AWS::Partition>')}`,
      ],
      'sts:AssumeRole on the target-role pattern the platform team set (targetRolePattern): each role trusts this executor with the tenant as ExternalId; the wildcard is the pattern itself.',
    );

    const source = (priority: Priority) => {
      const queue = props.runQueues[priority];
      const eventSource = new SqsEventSource(queue, {
        batchSize: props.batchSize ?? 10,
        // No batching window: a run waits for its delay, never for batch-mates.
        reportBatchItemFailures: true,
        maxConcurrency: props.concurrency[priority],
      });
      this.handler.addEventSource(eventSource);
      return eventSource;
    };
    this.eventSources = { high: source('high'), normal: source('normal'), low: source('low') };
  }
}
