import type { ExecutionStatus } from '../../client/index.js';
import { positionalArgs } from '../args.js';
import { parseInstant } from '../time.js';
import { deadLettersTable, executionDetail, executionsTable } from '../views.js';
import { type Command, idCommand } from './command.js';
import { gather, LIST_FLAGS, LIST_USAGE, printList } from './lists.js';

export const runCommands: Command[] = [
  {
    name: 'runs list',
    usage: `<jobId> [--status <status>] [--from <ISO|-1h>] [--to <ISO>] ${LIST_USAGE}`,
    summary: "a job's executions, newest first",
    flags: ['status', 'from', 'to', ...LIST_FLAGS],
    async run(ctx, args) {
      const [jobId] = positionalArgs(args, 'runs list', ['jobId']);
      const now = ctx.io.now();
      const { flags } = ctx;
      const filters = {
        ...(flags.status ? { status: flags.status as ExecutionStatus } : {}),
        ...(flags.from ? { from: parseInstant(flags.from, '--from', now) } : {}),
        ...(flags.to ? { to: parseInstant(flags.to, '--to', now) } : {}),
      };
      const runs = await gather(ctx, 'runs', (options) =>
        ctx.client.iterateExecutions(jobId!, filters, options),
      );
      printList(ctx, runs, 'No runs.', executionsTable);
    },
  },
  idCommand({
    name: 'runs get',
    id: 'executionId',
    summary: 'one execution with all its attempts',
    call: (ctx, id) => ctx.client.getExecution(id),
    said: executionDetail,
  }),
  idCommand({
    name: 'runs cancel',
    id: 'executionId',
    summary: 'cancel a queued or running execution (a running call is aborted)',
    call: (ctx, id) => ctx.client.cancelExecution(id),
    said: (execution) => `cancel requested for ${execution.executionId}: ${execution.status}`,
  }),
  {
    name: 'dead-letters list',
    usage: LIST_USAGE,
    summary: 'executions that exhausted their retries',
    flags: [...LIST_FLAGS],
    async run(ctx, args) {
      positionalArgs(args, 'dead-letters list', []);
      const dead = await gather(ctx, 'dead letters', (options) => ctx.client.iterateDeadLetters(options));
      printList(ctx, dead, 'No dead letters.', deadLettersTable);
    },
  },
  idCommand({
    name: 'dead-letters replay',
    id: 'executionId',
    summary: 'run a dead execution again as a new attempt series',
    call: (ctx, id) => ctx.client.replayDeadLetter(id),
    said: (execution) => `replaying ${execution.executionId}: ${execution.status}`,
  }),
];
