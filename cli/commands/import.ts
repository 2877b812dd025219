import { SchedulerClient as EventBridgeSchedulerClient } from '@aws-sdk/client-scheduler';
import { UsageError } from '../exit-codes.js';
import { type ImportRow, importEventBridge } from '../import/eventbridge-import.js';
import { table } from '../table.js';
import type { Command } from './command.js';

const ACTION_SAID: Record<ImportRow['action'], string> = {
  create: 'would create',
  created: 'created',
  exists: 'exists',
  skip: 'cannot convert',
  failed: 'refused',
};

/** The dry-run (or apply) table: one row per schedule, what happens to it and why. */
export function importTable(rows: ImportRow[]): string {
  if (rows.length === 0) return 'No schedules.';
  const body = table(
    ['SCHEDULE', 'ACTION', 'JOB', 'AS', 'TARGET', 'NOTES'],
    rows.map((r) => [
      r.schedule,
      `${ACTION_SAID[r.action]}${r.sourceDisabled ? ', source disabled' : ''}`,
      r.jobId ?? '-',
      r.as ?? '-',
      r.target ?? '-',
      r.notes.join('; ') || '-',
    ]),
  );
  const count = (action: ImportRow['action']) => rows.filter((r) => r.action === action).length;
  const summary = [
    ['create', 'to create'],
    ['created', 'created'],
    ['exists', 'already imported'],
    ['skip', 'cannot be converted'],
    ['failed', 'refused by the API'],
  ]
    .map(([action, said]) => [count(action as ImportRow['action']), said] as const)
    .filter(([n]) => n > 0)
    .map(([n, said]) => `${n} ${said}`)
    .join(', ');
  return `${body}\n\n${rows.length} schedules: ${summary}.`;
}

export const importCommand: Command = {
  name: 'import eventbridge',
  usage: '[--group default] [--name-prefix <p>] [--apply [--disable-source]] [--region <r>]',
  summary:
    'convert the schedules of an EventBridge Scheduler group into jobs (a dry run unless --apply; idempotent)',
  flags: ['group', 'name-prefix', 'apply', 'disable-source'],
  async run(ctx, args) {
    if (args.length > 0) throw new UsageError(`import eventbridge: unexpected argument "${args[0]}"`);
    const { flags } = ctx;
    if (flags['disable-source'] && !flags.apply)
      throw new UsageError('--disable-source goes with --apply (a dry run changes nothing)');
    const region = flags.region ?? ctx.io.env.AWS_REGION ?? ctx.io.env.AWS_DEFAULT_REGION;
    const aws = new EventBridgeSchedulerClient(region ? { region } : {});
    try {
      const rows = await importEventBridge({
        aws,
        api: ctx.client,
        group: flags.group ?? 'default',
        ...(flags['name-prefix'] ? { namePrefix: flags['name-prefix'] } : {}),
        apply: flags.apply ?? false,
        disableSource: flags['disable-source'] ?? false,
        progress: (text) => ctx.progress(text),
      });
      ctx.progress('', true);
      ctx.print(rows, () => importTable(rows));
    } finally {
      aws.destroy();
    }
  },
};
