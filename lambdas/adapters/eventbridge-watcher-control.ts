import {
  ConflictException,
  CreateScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { WatcherControl, WatcherSchedule, WatcherState } from '../core/ports/watcher-control.js';
import {
  assertShardCount,
  shardOfWatcherSchedule,
  WATCHER_SCHEDULE,
  WATCHER_SCHEDULE_PREFIX,
  watcherInput,
  watcherScheduleName,
} from '../core/watcher-schedule.js';

/** What a new watcher schedule invokes; the stack outputs these three ARNs. */
export interface WatcherTarget {
  functionArn: string;
  /** The role EventBridge Scheduler assumes to invoke the watcher and to dead-letter a failed tick. */
  roleArn: string;
  deadLetterQueueArn: string;
}

export interface EventBridgeWatcherControlOptions {
  groupName: string;
  /** Needed only to add schedules (`ensureShards`). @default - listing, enabling and disabling only */
  target?: WatcherTarget;
  /** Scheduler API calls in flight at once, well under its per-account request rates. @default 4 */
  concurrency?: number;
}

/** The watcher schedules of one EventBridge Scheduler schedule group. */
export class EventBridgeWatcherControl implements WatcherControl {
  private readonly concurrency: number;

  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeWatcherControlOptions,
  ) {
    this.concurrency = options.concurrency ?? 4;
  }

  async list(): Promise<WatcherSchedule[]> {
    const schedules: WatcherSchedule[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListSchedulesCommand({
          GroupName: this.options.groupName,
          NamePrefix: WATCHER_SCHEDULE_PREFIX,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const summary of page.Schedules ?? []) {
        const shard = summary.Name ? shardOfWatcherSchedule(summary.Name) : null;
        if (shard === null || !summary.Name) continue;
        schedules.push({
          shard,
          name: summary.Name,
          state: summary.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        });
      }
      token = page.NextToken;
    } while (token);
    return schedules.sort((a, b) => a.shard - b.shard);
  }

  disableAll(): Promise<WatcherSchedule[]> {
    return this.setStateOfAll('DISABLED');
  }

  enableAll(): Promise<WatcherSchedule[]> {
    return this.setStateOfAll('ENABLED');
  }

  async ensureShards(count: number): Promise<number[]> {
    assertShardCount(count);
    const existing = await this.list();
    const present = new Set(existing.map((schedule) => schedule.shard));
    const missing = Array.from({ length: count }, (_, shard) => shard).filter((shard) => !present.has(shard));
    if (missing.length === 0) return [];
    const { target } = this.options;
    if (!target) {
      throw new Error('adding watcher schedules needs the watcher function, role and dead-letter queue ARNs');
    }
    // New shards follow the others: a maintenance stop (all disabled) stays a stop.
    const state: WatcherState =
      existing.length > 0 && existing.every((schedule) => schedule.state === 'DISABLED')
        ? 'DISABLED'
        : 'ENABLED';
    const created = await this.eachLimited(missing, async (shard) => {
      try {
        await this.client.send(
          new CreateScheduleCommand({
            Name: watcherScheduleName(shard),
            GroupName: this.options.groupName,
            Description: `Watcher tick of shard ${shard}`,
            ScheduleExpression: WATCHER_SCHEDULE.expression,
            FlexibleTimeWindow: { Mode: 'OFF' },
            State: state,
            Target: {
              Arn: target.functionArn,
              RoleArn: target.roleArn,
              Input: JSON.stringify(watcherInput(shard)),
              RetryPolicy: {
                MaximumRetryAttempts: WATCHER_SCHEDULE.maximumRetryAttempts,
                MaximumEventAgeInSeconds: WATCHER_SCHEDULE.maximumEventAgeSeconds,
              },
              DeadLetterConfig: { Arn: target.deadLetterQueueArn },
            },
          }),
        );
        return shard;
      } catch (error) {
        // Another operator (or a deployment) created it in between: it exists, which is the goal.
        if (error instanceof ConflictException) return null;
        throw error;
      }
    });
    return created.filter((shard): shard is number => shard !== null);
  }

  /**
   * UpdateSchedule replaces the whole definition, so each schedule is read first and written
   * back with everything it had and only the state changed.
   */
  private async setStateOfAll(state: WatcherState): Promise<WatcherSchedule[]> {
    const schedules = await this.list();
    const toChange = schedules.filter((schedule) => schedule.state !== state);
    await this.eachLimited(toChange, async ({ name }) => {
      const current = await this.client.send(
        new GetScheduleCommand({ Name: name, GroupName: this.options.groupName }),
      );
      await this.client.send(
        new UpdateScheduleCommand({
          Name: name,
          GroupName: this.options.groupName,
          ScheduleExpression: current.ScheduleExpression,
          FlexibleTimeWindow: current.FlexibleTimeWindow,
          Target: current.Target,
          State: state,
          ...(current.Description !== undefined ? { Description: current.Description } : {}),
          ...(current.ScheduleExpressionTimezone !== undefined
            ? { ScheduleExpressionTimezone: current.ScheduleExpressionTimezone }
            : {}),
          ...(current.StartDate !== undefined ? { StartDate: current.StartDate } : {}),
          ...(current.EndDate !== undefined ? { EndDate: current.EndDate } : {}),
          ...(current.KmsKeyArn !== undefined ? { KmsKeyArn: current.KmsKeyArn } : {}),
          ...(current.ActionAfterCompletion !== undefined
            ? { ActionAfterCompletion: current.ActionAfterCompletion }
            : {}),
        }),
      );
    });
    return schedules.map((schedule) => ({ ...schedule, state }));
  }

  private async eachLimited<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    });
    await Promise.all(lanes);
    return results;
  }
}
