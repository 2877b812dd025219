import type { ExecutionStatus } from '../../client/index.js';
import type { Context } from '../context.js';
import { parseInstant } from '../time.js';
import { deadLettersTable, executionDetail, executionsTable } from '../views.js';
import { type Command, idCommand } from './command.js';
import { listCommand } from './lists.js';

/** `runs list` filters: `--status`, and `--from`/`--to` as instants or times relative to now. */
function runFilters({ flags, io }: Context) {
  const now = io.now();
  return {
    ...(flags.status ? { status: flags.status as ExecutionStatus } : {}),
    ...(flags.from ? { from: parseInstant(flags.from, '--from', now) } : {}),
    ...(flags.to ? { to: parseInstant(flags.to, '--to', now) } : {}),
  };
}

export const runCommands: Command[] = [
  listCommand({
    name: 'runs list',
    usage: '<jobId> [--status <status>] [--from <ISO|-1h>] [--to <ISO>]',
    summary: "a job's executions, newest first",
    positionals: ['jobId'],
    filters: ['status', 'from', 'to'],
    noun: 'runs',
    empty: 'No runs.',
    iterate: (ctx, [jobId], options) => ctx.client.iterateExecutions(jobId!, runFilters(ctx), options),
    render: executionsTable,
  }),
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
  listCommand({
    name: 'dead-letters list',
    summary: 'executions that exhausted their retries',
    noun: 'dead letters',
    empty: 'No dead letters.',
    iterate: (ctx, _args, options) => ctx.client.iterateDeadLetters(options),
    render: deadLettersTable,
  }),
  idCommand({
    name: 'dead-letters replay',
    id: 'executionId',
    summary: 'run a dead execution again as a new attempt series',
    call: (ctx, id) => ctx.client.replayDeadLetter(id),
    said: (execution) => `replaying ${execution.executionId}: ${execution.status}`,
  }),
];
