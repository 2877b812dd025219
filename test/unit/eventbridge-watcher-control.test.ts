import {
  ConflictException,
  CreateScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  type ScheduleSummary,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgeWatcherControl } from '../../lambdas/adapters/eventbridge-watcher-control.js';
import type { WatcherControl } from '../../lambdas/core/ports/watcher-control.js';
import { runWatchersCommand } from '../../scripts/watchers.js';

const scheduler = mockClient(SchedulerClient);
const GROUP = 'Scheduler-watchers';
const TARGET = {
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:watcher',
  roleArn: 'arn:aws:iam::123456789012:role/watcher-invoke',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:watcher-dlq',
};

const control = (withTarget = true) =>
  new EventBridgeWatcherControl(new SchedulerClient({ region: 'us-east-1' }), {
    groupName: GROUP,
    ...(withTarget ? { target: TARGET } : {}),
  });

const summary = (name: string, state: 'ENABLED' | 'DISABLED' = 'ENABLED'): ScheduleSummary => ({
  Name: name,
  GroupName: GROUP,
  State: state,
});

/** A schedule as the stack deploys it, as GetSchedule returns it. */
const deployed = (shard: number, state: 'ENABLED' | 'DISABLED') => ({
  Name: `shard-${shard}`,
  GroupName: GROUP,
  Description: `Watcher tick of shard ${shard}`,
  ScheduleExpression: 'rate(1 minute)',
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' as const },
  State: state,
  Target: {
    Arn: TARGET.functionArn,
    RoleArn: TARGET.roleArn,
    Input: JSON.stringify({ shard }),
    RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
    DeadLetterConfig: { Arn: TARGET.deadLetterQueueArn },
  },
});

afterEach(() => {
  scheduler.reset();
});

describe('EventBridgeWatcherControl', () => {
  describe('list', () => {
    it('lists the watcher schedules of the group across pages, by shard, ignoring other schedules', async () => {
      // Prepare
      scheduler
        .on(ListSchedulesCommand)
        .resolvesOnce({
          Schedules: [summary('shard-10'), summary('shard-2', 'DISABLED')],
          NextToken: 'page-2',
        })
        .resolvesOnce({ Schedules: [summary('shard-0'), summary('shard-legacy'), summary('nightly')] });
      // Act
      const schedules = await control().list();
      // Assess
      expect(schedules).toEqual([
        { shard: 0, name: 'shard-0', state: 'ENABLED' },
        { shard: 2, name: 'shard-2', state: 'DISABLED' },
        { shard: 10, name: 'shard-10', state: 'ENABLED' },
      ]);
      const calls = scheduler.commandCalls(ListSchedulesCommand).map((call) => call.args[0].input);
      expect(calls).toEqual([
        { GroupName: GROUP, NamePrefix: 'shard-' },
        { GroupName: GROUP, NamePrefix: 'shard-', NextToken: 'page-2' },
      ]);
    });
  });

  describe('disableAll', () => {
    it('writes back every enabled schedule whole, with only its state changed', async () => {
      // Prepare
      scheduler
        .on(ListSchedulesCommand)
        .resolves({ Schedules: [summary('shard-0'), summary('shard-1', 'DISABLED')] });
      scheduler.on(GetScheduleCommand, { Name: 'shard-0' }).resolves(deployed(0, 'ENABLED'));
      scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
      // Act
      const schedules = await control(false).disableAll();
      // Assess
      expect(schedules.map((s) => s.state)).toEqual(['DISABLED', 'DISABLED']);
      expect(scheduler.commandCalls(GetScheduleCommand)).toHaveLength(1);
      const [update] = scheduler.commandCalls(UpdateScheduleCommand);
      const { State, ...rest } = update!.args[0].input;
      expect(State).toBe('DISABLED');
      const { State: _before, ...unchanged } = deployed(0, 'ENABLED');
      expect(rest).toEqual(unchanged);
    });
  });

  describe('enableAll', () => {
    it('enables the disabled schedules and leaves the enabled ones alone', async () => {
      // Prepare
      scheduler.on(ListSchedulesCommand).resolves({
        Schedules: [summary('shard-0', 'DISABLED'), summary('shard-1'), summary('shard-2', 'DISABLED')],
      });
      scheduler.on(GetScheduleCommand, { Name: 'shard-0' }).resolves(deployed(0, 'DISABLED'));
      scheduler.on(GetScheduleCommand, { Name: 'shard-2' }).resolves(deployed(2, 'DISABLED'));
      scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
      // Act
      const schedules = await control(false).enableAll();
      // Assess
      expect(schedules.every((s) => s.state === 'ENABLED')).toBe(true);
      const updates = scheduler.commandCalls(UpdateScheduleCommand).map((call) => call.args[0].input);
      expect(updates.map((u) => [u.Name, u.State, u.Target?.Input])).toEqual(
        expect.arrayContaining([
          ['shard-0', 'ENABLED', '{"shard":0}'],
          ['shard-2', 'ENABLED', '{"shard":2}'],
        ]),
      );
      expect(updates).toHaveLength(2);
    });
  });

  describe('ensureShards', () => {
    it('creates exactly the missing shards, each like the deployed ones', async () => {
      // Prepare
      scheduler.on(ListSchedulesCommand).resolves({ Schedules: [summary('shard-0'), summary('shard-1')] });
      scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
      // Act
      const created = await control().ensureShards(4);
      // Assess
      expect(created).toEqual([2, 3]);
      const inputs = scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input);
      expect(inputs).toHaveLength(2);
      const { Description: _description, ...shard2 } = deployed(2, 'ENABLED');
      const { ScheduleExpressionTimezone: _utc, ...expected } = shard2;
      expect(inputs.find((input) => input.Name === 'shard-2')).toMatchObject(expected);
      expect(inputs.find((input) => input.Name === 'shard-3')?.Target?.Input).toBe('{"shard":3}');
    });

    it('creates new shards disabled while every existing watcher is disabled for maintenance', async () => {
      scheduler.on(ListSchedulesCommand).resolves({ Schedules: [summary('shard-0', 'DISABLED')] });
      scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });

      await control().ensureShards(2);

      expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.State).toBe('DISABLED');
    });

    it('never removes schedules beyond the count and calls nothing when none is missing', async () => {
      scheduler.on(ListSchedulesCommand).resolves({ Schedules: [0, 1, 2].map((n) => summary(`shard-${n}`)) });

      expect(await control().ensureShards(2)).toEqual([]);
      expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
      expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
    });

    it('counts a schedule created concurrently as present', async () => {
      scheduler.on(ListSchedulesCommand).resolves({ Schedules: [summary('shard-0')] });
      scheduler
        .on(CreateScheduleCommand, { Name: 'shard-1' })
        .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }))
        .on(CreateScheduleCommand, { Name: 'shard-2' })
        .resolves({ ScheduleArn: 'arn' });

      expect(await control().ensureShards(3)).toEqual([2]);
    });

    it('refuses to create schedules without the target ARNs, and refuses nonsense counts', async () => {
      scheduler.on(ListSchedulesCommand).resolves({ Schedules: [summary('shard-0')] });

      await expect(control(false).ensureShards(2)).rejects.toThrow(/ARNs/);
      await expect(control().ensureShards(0)).rejects.toThrow(/shard count/);
      await expect(control().ensureShards(2.5)).rejects.toThrow(/shard count/);
      expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
    });
  });
});

describe('scripts/watchers.ts', () => {
  const fake = (calls: string[]): WatcherControl => ({
    list: async () => [{ shard: 0, name: 'shard-0', state: 'ENABLED' }],
    disableAll: async () => {
      calls.push('disableAll');
      return [{ shard: 0, name: 'shard-0', state: 'DISABLED' }];
    },
    enableAll: async () => [],
    ensureShards: async (count) => {
      calls.push(`ensureShards:${count}`);
      return [1];
    },
  });

  it('reads the group and ARNs from the environment and prints JSON on request', async () => {
    // Prepare
    const calls: string[] = [];
    const seen: unknown[] = [];
    const env = {
      SCHEDULER_WATCHER_GROUP: GROUP,
      SCHEDULER_WATCHER_FUNCTION_ARN: TARGET.functionArn,
      SCHEDULER_WATCHER_ROLE_ARN: TARGET.roleArn,
      SCHEDULER_WATCHER_DLQ_ARN: TARGET.deadLetterQueueArn,
    };
    // Act
    const output = await runWatchersCommand(['reshard', '--shards', '2', '--json'], env, (group, target) => {
      seen.push(group, target);
      return fake(calls);
    });
    // Assess
    expect(JSON.parse(output)).toEqual({ created: [1] });
    expect(seen).toEqual([GROUP, TARGET]);
    expect(calls).toEqual(['ensureShards:2']);
  });

  it('refuses to shrink: the jobs of a removed shard would never be watched again', async () => {
    const calls: string[] = [];
    const control: WatcherControl = {
      ...fake(calls),
      list: async () =>
        [0, 1, 2, 3].map((shard) => ({ shard, name: `shard-${shard}`, state: 'ENABLED' as const })),
    };
    const env = {
      SCHEDULER_WATCHER_GROUP: GROUP,
      SCHEDULER_WATCHER_FUNCTION_ARN: TARGET.functionArn,
      SCHEDULER_WATCHER_ROLE_ARN: TARGET.roleArn,
      SCHEDULER_WATCHER_DLQ_ARN: TARGET.deadLetterQueueArn,
    };
    await expect(runWatchersCommand(['reshard', '--shards', '2'], env, () => control)).rejects.toThrow(
      /refusing to shrink to 2 shards: shard-2 … shard-3 exist/,
    );
    expect(calls).toEqual([]);
  });

  it('a disable says how to keep the stop across a deploy', async () => {
    const output = await runWatchersCommand(['disable'], { SCHEDULER_WATCHER_GROUP: GROUP }, () => fake([]));
    expect(output).toContain('-c watchersEnabled=false');
  });

  it('prefers flags over the environment and fails with usage on an unknown command', async () => {
    const groups: string[] = [];
    const output = await runWatchersCommand(
      ['disable', '--group', 'other'],
      { SCHEDULER_WATCHER_GROUP: GROUP },
      (group) => {
        groups.push(group);
        return fake([]);
      },
    );
    expect(groups).toEqual(['other']);
    expect(output).toContain('0 enabled');
    await expect(
      runWatchersCommand(['explode'], { SCHEDULER_WATCHER_GROUP: GROUP }, () => fake([])),
    ).rejects.toThrow(/usage/);
  });
});
