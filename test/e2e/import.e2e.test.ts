import {
  SchedulerClient as EventBridgeSchedulerClient,
  GetScheduleCommand,
  type GetScheduleOutput,
  ListSchedulesCommand,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from '../../cli/context.js';
import { EXIT } from '../../cli/exit-codes.js';
import type { ImportRow } from '../../cli/import/eventbridge-import.js';
import { runCli } from '../../cli/run.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { API_KEY, apiClient, startTestRuntime, tempDataDir } from '../support/runtime.js';

const eventbridge = mockClient(EventBridgeSchedulerClient);
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/scheduler-target-imported`;
const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:nightly-report`;

function schedule(
  name: string,
  expression: string,
  target: Record<string, unknown>,
  extra: Partial<GetScheduleOutput> = {},
) {
  return {
    Name: name,
    GroupName: 'payments',
    ScheduleExpression: expression,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Target: {
      RoleArn: ROLE,
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      ...target,
    },
    ...extra,
  } as GetScheduleOutput;
}

/** A group of 13 schedules: 9 convertible (one with a role the deployment refuses), 4 not. */
const GROUP: GetScheduleOutput[] = [
  schedule(
    'nightly-report',
    'cron(30 2 * * ? *)',
    { Arn: FN, Input: '{"report":"daily"}' },
    {
      ScheduleExpressionTimezone: 'America/New_York',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
    },
  ),
  schedule('month-end', 'cron(0 0 L * ? *)', {
    Arn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:close-books`,
    Input: '{}',
  }),
  schedule(
    'new-year',
    'at(2027-01-01T09:00:00)',
    { Arn: `arn:aws:sns:eu-central-1:${ACCOUNT}:alerts`, Input: 'Happy new year' },
    {
      ScheduleExpressionTimezone: 'Europe/Berlin',
    },
  ),
  schedule('r-orders-tick', 'rate(5 minutes)', {
    Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`,
    Input: '{"tick":true}',
  }),
  schedule('r-orders-fifo', 'rate(1 hour)', {
    Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders.fifo`,
    Input: '{}',
    SqsParameters: { MessageGroupId: 'orders' },
  }),
  schedule('r-bus-heartbeat', 'rate(10 minutes)', {
    Arn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`,
    Input: '{"ok":true}',
    EventBridgeParameters: { Source: 'com.example.payments', DetailType: 'Heartbeat' },
    DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:dlq` },
  }),
  schedule(
    'r-settle',
    'rate(1 day)',
    { Arn: FN, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 } },
    {
      State: 'DISABLED',
    },
  ),
  schedule('r-notify', 'rate(30 minutes)', {
    Arn: `arn:aws:sns:us-east-1:${ACCOUNT}:payments`,
    Input: 'check',
  }),
  schedule('r-wrong-role', 'rate(2 hours)', { Arn: FN, RoleArn: `arn:aws:iam::${ACCOUNT}:role/admin` }),
  schedule('r-universal', 'rate(1 hour)', {
    Arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:putItem',
    Input: '{}',
  }),
  schedule('r-ecs-task', 'rate(1 hour)', { Arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/jobs` }),
  schedule('r-kinesis', 'rate(1 hour)', { Arn: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/clicks` }),
  schedule('r-bus-no-source', 'rate(1 hour)', {
    Arn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`,
  }),
];

/** ListSchedules requests as sent (the paginator reuses one input object, so copies are kept). */
const listRequests: Record<string, unknown>[] = [];

/** ListSchedules in pages of five, honouring NamePrefix, as the service does. */
function serveGroup() {
  listRequests.length = 0;
  eventbridge.on(ListSchedulesCommand).callsFake((input) => {
    listRequests.push({ ...input });
    const names = GROUP.map((s) => s.Name!).filter(
      (n) => !input.NamePrefix || n.startsWith(input.NamePrefix),
    );
    const start = Number(input.NextToken ?? 0);
    const page = names.slice(start, start + 5);
    return {
      Schedules: page.map((Name) => ({ Name, GroupName: 'payments', State: 'ENABLED' })),
      ...(start + 5 < names.length ? { NextToken: String(start + 5) } : {}),
    };
  });
  eventbridge.on(GetScheduleCommand).callsFake((input) => GROUP.find((s) => s.Name === input.Name));
  eventbridge.on(UpdateScheduleCommand).resolves({});
}

describe('scheduler import eventbridge', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime(data.dir);
  });

  afterAll(async () => {
    await runtime?.stop();
    data.remove();
  });

  beforeEach(() => serveGroup());
  afterEach(() => eventbridge.reset());

  async function cli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const io: Io = {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTty: false,
      env: { SCHEDULER_ENDPOINT: runtime.url, SCHEDULER_API_KEY: API_KEY, AWS_REGION: 'us-east-1' },
      readStdin: () => '',
      now: Date.now,
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  }

  async function rows(argv: string[]): Promise<ImportRow[]> {
    const out = await cli([...argv, '--json', '--quiet']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(EXIT.ok);
    return JSON.parse(out.stdout) as ImportRow[];
  }

  it('dry run: reads every page of the group and tells what it would create and what it cannot convert', async () => {
    // Act
    const out = await cli(['import', 'eventbridge', '--group', 'payments', '--quiet']);

    // Assess
    expect(out.code).toBe(EXIT.ok);
    process.stdout.write(`importer dry run:\n${out.stdout}\n`);
    expect(listRequests).toEqual([
      { GroupName: 'payments', MaxResults: 100 },
      { GroupName: 'payments', MaxResults: 100, NextToken: '5' },
      { GroupName: 'payments', MaxResults: 100, NextToken: '10' },
    ]);
    expect(eventbridge.commandCalls(GetScheduleCommand)).toHaveLength(13);
    const lines = out.stdout.split('\n');
    const line = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    expect(line('nightly-report')).toMatch(
      /would create .*cron\(30 2 \* \* \? \*\) America\/New_York .*lambda .*flexible window 15 min narrowed to 60 s jitter/,
    );
    expect(line('new-year')).toMatch(/would create .*at\(2027-01-01T09:00:00\) Europe\/Berlin .*sns /);
    expect(line('r-bus-heartbeat')).toMatch(
      /dead-letter queue arn:aws:sqs:us-east-1:123456789012:dlq not used/,
    );
    expect(line('r-settle')).toMatch(/185 retries capped at 20 attempts.*paused: the schedule is DISABLED/);
    expect(line('r-universal')).toMatch(
      /cannot convert .*universal target dynamodb:putItem has no matching target type/,
    );
    expect(line('r-ecs-task')).toMatch(/cannot convert .*ecs targets .* have no matching target type/);
    expect(line('r-bus-no-source')).toMatch(/cannot convert .*without source and detail type/);
    expect(out.stdout).toContain('13 schedules: 9 to create, 4 cannot be converted.');
    expect((await apiClient(runtime.url)('GET', '/v1/jobs')).body.items).toEqual([]);
    expect(eventbridge.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('--apply creates the jobs, pauses disabled ones, reports refusals; a second run creates nothing new', async () => {
    // Act
    const first = await rows(['import', 'eventbridge', '--group', 'payments', '--apply']);
    const second = await rows(['import', 'eventbridge', '--group', 'payments', '--apply']);

    // Assess
    const byName = (list: ImportRow[]) => Object.fromEntries(list.map((r) => [r.schedule, r.action]));
    expect(byName(first)).toEqual({
      'nightly-report': 'created',
      'month-end': 'created',
      'new-year': 'created',
      'r-orders-tick': 'created',
      'r-orders-fifo': 'created',
      'r-bus-heartbeat': 'created',
      'r-settle': 'created',
      'r-notify': 'created',
      'r-wrong-role': 'failed',
      'r-universal': 'skip',
      'r-ecs-task': 'skip',
      'r-kinesis': 'skip',
      'r-bus-no-source': 'skip',
    });
    expect(first.find((r) => r.schedule === 'r-wrong-role')?.notes[0]).toMatch(/^target_not_allowed: /);
    expect(byName(second)).toEqual({
      'nightly-report': 'exists',
      'month-end': 'exists',
      'new-year': 'exists',
      'r-orders-tick': 'exists',
      'r-orders-fifo': 'exists',
      'r-bus-heartbeat': 'exists',
      'r-settle': 'exists',
      'r-notify': 'exists',
      'r-wrong-role': 'failed',
      'r-universal': 'skip',
      'r-ecs-task': 'skip',
      'r-kinesis': 'skip',
      'r-bus-no-source': 'skip',
    });
    const jobs = (await apiClient(runtime.url)('GET', '/v1/jobs?limit=100')).body.items;
    expect(jobs).toHaveLength(8);
    const named = (name: string) =>
      jobs.find((j: { name: string }) => j.name === `eventbridge:payments/${name}`);
    expect(named('nightly-report')).toMatchObject({
      schedule: { type: 'cron', expression: 'cron(30 2 * * ? *)', timezone: 'America/New_York' },
      target: { type: 'lambda', functionArn: FN, invocationType: 'Event', payload: '{"report":"daily"}' },
      jitterSeconds: 60,
    });
    expect(named('new-year')).toMatchObject({
      schedule: { type: 'once', at: 'at(2027-01-01T09:00:00)', timezone: 'Europe/Berlin' },
      nextRunAt: '2027-01-01T08:00:00.000Z',
    });
    const tick = jobs.find((j: { name: string }) => j.name === 'eventbridge:payments/r-orders-tick');
    expect(tick).toMatchObject({
      status: 'active',
      schedule: { type: 'rate', expression: 'rate(5 minutes)' },
      target: {
        type: 'sqs',
        queueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/orders`,
        body: '{"tick":true}',
        roleArn: ROLE,
      },
      retry: { maxAttempts: 3 },
    });
    expect(jobs.find((j: { name: string }) => j.name === 'eventbridge:payments/r-settle')).toMatchObject({
      status: 'paused',
      retry: { maxAttempts: 20 },
    });
  });

  it('--disable-source disables each imported schedule, sending its definition back unchanged', async () => {
    // Act
    const result = await rows([
      'import',
      'eventbridge',
      '--group',
      'payments',
      '--name-prefix',
      'r-orders-tick',
      '--apply',
      '--disable-source',
    ]);

    // Assess
    expect(result).toMatchObject([{ schedule: 'r-orders-tick', sourceDisabled: true }]);
    const source = GROUP.find((s) => s.Name === 'r-orders-tick')!;
    expect(eventbridge.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'r-orders-tick',
        GroupName: 'payments',
        ScheduleExpression: 'rate(5 minutes)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: source.Target,
        State: 'DISABLED',
      },
    ]);
  });

  it('--disable-source without --apply is a usage error and touches nothing', async () => {
    const out = await cli(['import', 'eventbridge', '--disable-source']);
    expect(out.code).toBe(EXIT.usage);
    expect(out.stderr).toBe('scheduler: --disable-source goes with --apply (a dry run changes nothing)\n');
    expect(eventbridge.commandCalls(ListSchedulesCommand)).toHaveLength(0);
  });
});
