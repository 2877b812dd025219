import { integerFlag, positionalArgs } from '../args.js';
import { table } from '../table.js';
import { parseInstant, shortTime } from '../time.js';
import type { Command } from './command.js';

/** `2026-03-08 02:30:00 EST` in the schedule's own zone, so DST shifts are visible. */
function localTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${get('timeZoneName')}`;
}

export const previewCommand: Command = {
  name: 'preview',
  usage: '"<cron>" [--tz <zone>] [--count <n>] [--from <ISO>]',
  summary: 'the next runs of a cron expression, without creating a job',
  flags: ['tz', 'count', 'from'],
  async run(ctx, args) {
    const [expression] = positionalArgs(args, 'preview', ['cron expression']);
    const { flags } = ctx;
    const count = integerFlag(flags.count, 'count', 1);
    const timezone = flags.tz ?? 'UTC';
    const out = await ctx.client.previewSchedule({
      schedule: { type: 'cron', expression: expression!, timezone },
      ...(flags.from ? { from: parseInstant(flags.from, '--from', ctx.io.now()) } : {}),
      ...(count !== undefined ? { count } : {}),
    });
    ctx.print(out, () =>
      out.runs.length === 0
        ? 'No runs.'
        : table(
            timezone === 'UTC' ? ['#', 'UTC'] : ['#', 'UTC', timezone],
            out.runs.map((run, i) => [
              String(i + 1),
              shortTime(run),
              ...(timezone === 'UTC' ? [] : [localTime(run, timezone)]),
            ]),
          ),
    );
  },
};
