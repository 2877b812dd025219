/**
 * Watcher schedules of a deployed stack, at run time:
 *
 *   npx tsx scripts/watchers.ts list|disable|enable|reshard --shards N [--json]
 *
 * Reads the stack outputs from the environment or from flags:
 *   SCHEDULER_WATCHER_GROUP          --group          (output WatcherScheduleGroup)
 *   SCHEDULER_WATCHER_FUNCTION_ARN   --function-arn   (output WatcherFunctionArn, reshard only)
 *   SCHEDULER_WATCHER_ROLE_ARN       --role-arn       (output WatcherInvokeRoleArn, reshard only)
 *   SCHEDULER_WATCHER_DLQ_ARN        --dlq-arn        (output WatcherDeadLetterQueueArn, reshard only)
 * Credentials and region come from the usual AWS SDK chain (AWS_PROFILE, AWS_REGION, ...).
 */
import { parseArgs } from 'node:util';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { flagsOf } from '../cli/args.js';
import {
  EventBridgeWatcherControl,
  type WatcherTarget,
} from '../lambdas/adapters/eventbridge-watcher-control.js';
import type { WatcherControl, WatcherSchedule } from '../lambdas/core/ports/watcher-control.js';

const USAGE = 'usage: watchers.ts list|disable|enable|reshard --shards N [--group G] [--json]';

/** A deploy that rewrites a schedule writes the state the stack gives it. */
const KEEP_STOPPED =
  'The schedules stay disabled until you enable them; to deploy meanwhile, deploy with ' +
  '`-c watchersEnabled=false` so the deploy keeps them (and any new shard) disabled.';

function option(value: string | undefined, envValue: string | undefined, what: string): string {
  const chosen = value ?? envValue;
  if (!chosen) throw new Error(`${what} is required (${USAGE})`);
  return chosen;
}

function render(schedules: WatcherSchedule[]): string {
  const enabled = schedules.filter((schedule) => schedule.state === 'ENABLED').length;
  const lines = schedules.map((schedule) => `${schedule.name.padEnd(12)} ${schedule.state}`);
  return [...lines, `${schedules.length} watcher schedules, ${enabled} enabled`].join('\n');
}

export async function runWatchersCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  controlFor: (groupName: string, target?: WatcherTarget) => WatcherControl,
): Promise<string> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...flagsOf('string', 'shards', 'group', 'function-arn', 'role-arn', 'dlq-arn'),
      json: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  const group = option(values.group, env.SCHEDULER_WATCHER_GROUP, '--group or SCHEDULER_WATCHER_GROUP');
  const print = (result: unknown, text: string) => (values.json ? JSON.stringify(result) : text);

  switch (command) {
    case 'list': {
      const schedules = await controlFor(group).list();
      return print(schedules, render(schedules));
    }
    case 'disable':
    case 'enable': {
      const control = controlFor(group);
      const schedules = command === 'disable' ? await control.disableAll() : await control.enableAll();
      return print(schedules, `${render(schedules)}${command === 'disable' ? `\n${KEEP_STOPPED}` : ''}`);
    }
    case 'reshard': {
      const shards = Number(option(values.shards, undefined, '--shards'));
      const target: WatcherTarget = {
        functionArn: option(values['function-arn'], env.SCHEDULER_WATCHER_FUNCTION_ARN, '--function-arn'),
        roleArn: option(values['role-arn'], env.SCHEDULER_WATCHER_ROLE_ARN, '--role-arn'),
        deadLetterQueueArn: option(values['dlq-arn'], env.SCHEDULER_WATCHER_DLQ_ARN, '--dlq-arn'),
      };
      const control = controlFor(group, target);
      const existing = await control.list();
      const highest = Math.max(-1, ...existing.map((schedule) => schedule.shard));
      if (Number.isInteger(shards) && shards <= highest) {
        throw new Error(
          `refusing to shrink to ${shards} shards: shard-${shards} … shard-${highest} exist, and the jobs ` +
            'stored on those shards would never be watched again. Shards only grow (docs/deploy.md, Resharding).',
        );
      }
      const created = await control.ensureShards(shards);
      const text = created.length
        ? `created the schedules of shards ${created.join(', ')}; adopt them and raise the hash count with ` +
          `\`cdk deploy -c shards=${shards} --import-existing-resources\``
        : `all ${shards} shards have a schedule already`;
      return print({ created }, text);
    }
    default:
      throw new Error(USAGE);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const client = new SchedulerClient({});
  runWatchersCommand(
    process.argv.slice(2),
    process.env,
    (groupName, target) =>
      new EventBridgeWatcherControl(client, { groupName, ...(target ? { target } : {}) }),
  ).then(
    (output) => console.log(output),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
