import type { Job, JobStatus } from '../../client/index.js';
import { integerFlag, positionalArgs } from '../args.js';
import type { Context } from '../context.js';
import { createBodyFromFlags, patchFromFlags, patchNeedsCurrent, TARGET_FLAGS } from '../job-flags.js';
import { jobDetail, jobsTable } from '../views.js';
import { type Command, idCommand } from './command.js';
import { listCommand } from './lists.js';

const DEFINITION_FLAGS = [
  'file',
  'name',
  'cron',
  'tz',
  'rate',
  'at',
  'now',
  'start-at',
  'end-at',
  ...TARGET_FLAGS,
  'timeout',
  'max-attempts',
  'priority',
  'misfire',
  'jitter',
  'depends-on',
] as const;

const DEFINITION_USAGE = `(--cron "<expr>|cron(…)" [--tz <zone>] | --rate <30s|5m|1h|rate(5 minutes)> | --at <ISO|+10s|at(yyyy-mm-ddThh:mm:ss)> [--tz <zone>] | --now)
    [--start-at <time>] [--end-at <time>]
    --url <url> [--method POST] [--body <text|@file>] [--header name=value]…
      or an AWS target: (--lambda <functionArn> [--invocation-type Event|RequestResponse]
      | --sqs <queueUrl> [--message-group-id <id>] | --eventbridge <busArn> --source <s> --detail-type <t>
      | --stepfunctions <stateMachineArn> | --sns <topicArn> [--subject <s>]) --role <roleArn>
      [--body <payload|@file>]   (payload, message body, event detail, execution input)
    [--name <name>] [--timeout <s>] [--max-attempts <n>] [--priority high|normal|low]
    [--misfire skip|run_once|catch_up] [--jitter <s>] [--depends-on <jobId>]…
    [--file job.json|-]   (flags override the file's fields)`;

/** A one-job command: `jobs get|pause|resume|cancel <jobId>`, showing the job it answers with. */
function jobAction(
  verb: string,
  summary: string,
  call: (ctx: Context, id: string) => Promise<Job>,
  done: (job: Job) => string,
): Command {
  const said = (job: Job, ctx: Context) => {
    const detail = jobDetail(job, ctx.io.now());
    return verb === 'get' ? detail : `${done(job)}\n\n${detail}`;
  };
  return idCommand({ name: `jobs ${verb}`, id: 'jobId', summary, call, said });
}

export const jobCommands: Command[] = [
  {
    name: 'jobs create',
    usage: DEFINITION_USAGE,
    summary: 'create a job',
    flags: DEFINITION_FLAGS,
    async run(ctx, args) {
      positionalArgs(args, 'jobs create', []);
      const body = createBodyFromFlags(ctx.flags, ctx.io.now(), ctx.io.readStdin);
      const job = await ctx.client.createJob(body);
      ctx.print(job, () => `created ${job.id}\n\n${jobDetail(job, ctx.io.now())}`);
    },
  },
  jobAction(
    'get',
    'show a job',
    (ctx, id) => ctx.client.getJob(id),
    () => '',
  ),
  listCommand({
    name: 'jobs list',
    usage: '[--status active|paused|completed|failed|cancelled] [--name <prefix>]',
    summary: 'list jobs, newest first',
    filters: ['status', 'name'],
    noun: 'jobs',
    empty: 'No jobs.',
    iterate: ({ client, flags }, _args, options) =>
      client.iterateJobs(
        {
          ...(flags.status ? { status: flags.status as JobStatus } : {}),
          ...(flags.name ? { name: flags.name } : {}),
        },
        options,
      ),
    render: (jobs, ctx) => jobsTable(jobs, ctx.io.now()),
  }),
  {
    name: 'jobs patch',
    usage: `<jobId> [--if-match <version>] <any flag of jobs create>

The API replaces each field it is sent whole: the target with its headers and body, the retry
policy, the schedule. So the CLI reads the job first and merges --url/--method/--body/--header,
--max-attempts and --tz/--start-at/--end-at into the current values, and sends them under
If-Match (a concurrent change is a 412, never lost). --cron keeps the job's timezone. The fields
of --file replace whole. It prints the fields it replaced.`,
    summary: 'change fields of a job (flags are merged into the current target, retry and schedule)',
    flags: [...DEFINITION_FLAGS, 'if-match'],
    async run(ctx, args) {
      const [id] = positionalArgs(args, 'jobs patch', ['jobId']);
      // Merging into the current job is a read-modify-write: If-Match makes a concurrent change a 412.
      const current = patchNeedsCurrent(ctx.flags) ? await ctx.client.getJob(id!) : undefined;
      const patch = patchFromFlags(ctx.flags, ctx.io.now(), ctx.io.readStdin, current);
      const ifMatch = integerFlag(ctx.flags['if-match'], 'if-match', 1) ?? current?.version;
      const job = await ctx.client.updateJob(id!, patch, ifMatch === undefined ? {} : { ifMatch });
      const replaced = `replaced ${Object.keys(patch).join(', ')}${current ? ' (your flags merged into the current values)' : ''}`;
      ctx.print(
        job,
        () => `updated ${job.id} (version ${job.version}): ${replaced}\n\n${jobDetail(job, ctx.io.now())}`,
      );
    },
  },
  jobAction(
    'pause',
    'stop new runs, keep the job',
    (ctx, id) => ctx.client.pauseJob(id),
    (job) => `paused ${job.id}`,
  ),
  jobAction(
    'resume',
    'resume a paused job (missed runs follow its misfire policy)',
    (ctx, id) => ctx.client.resumeJob(id),
    (job) => `resumed ${job.id}`,
  ),
  jobAction(
    'cancel',
    'cancel a job: no further runs, a run in flight is cancelled',
    (ctx, id) => ctx.client.cancelJob(id),
    (job) => `cancelled ${job.id}`,
  ),
  idCommand({
    name: 'jobs trigger',
    id: 'jobId',
    summary: 'run a job now, outside its schedule',
    call: (ctx, id) => ctx.client.triggerJob(id),
    said: (out, _ctx, id) => `triggered ${id}: execution ${out.executionId}`,
  }),
];
