import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { ExecutionArchive } from './archive.js';
import { HandlerConstruct, type HandlerSettings } from './function.js';

export interface CompactorProps extends HandlerSettings {
  readonly archive: ExecutionArchive;
  /**
   * How often it runs. A removal date becomes due once a day; the other runs find nothing (one
   * LIST) or continue what a run left (a large day, a failure). @default Duration.hours(1)
   */
  readonly every?: Duration;
}

/**
 * The archive's compactor: an EventBridge rule invokes it every hour; it compacts the staging of
 * settled removal dates into one part per tenant and day (lambdas/adapters/archive-compactor.ts).
 * One at a time (reserved concurrency 1) and no async retries: every run is safe to repeat or
 * overlap, and the next tick is the retry; a run that fails a date fails the invocation, which the
 * function's Errors alarm watches.
 */
export class Compactor extends HandlerConstruct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CompactorProps) {
    super(scope, id, 'compactor', props, {
      description: 'Scheduler compactor: archive staging to one part per tenant and day',
      timeout: Duration.minutes(15),
      // A shard keeps up to 16 MiB of gzip staging as rows: ~0.75 M rows, ~650 MB at its peak (measured).
      memorySize: 2048,
    });
    // One run at a time: overlapping runs are safe, but would only repeat each other's work.
    (this.handler.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    props.archive.grantCompact(this.handler);
    this.handler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.hours(1) });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Runs the archive compactor',
      schedule: events.Schedule.rate(props.every ?? Duration.hours(1)),
      targets: [
        new targets.LambdaFunction(this.handler, { retryAttempts: 2, maxEventAge: Duration.hours(1) }),
      ],
    });
  }
}
