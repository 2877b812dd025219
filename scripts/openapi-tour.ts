/**
 * The README's tour, driven by openapi-fetch over the types openapi-typescript generates from the
 * OpenAPI document (docs/openapi.d.ts): what a team that generates its own client gets. Each step
 * prints one line. Against a running `npm start`:
 *
 *   npm run openapi:tour                     # http://127.0.0.1:3000 with dev-key
 *   npm run openapi:tour -- http://127.0.0.1:3103 my-key [send-report]
 *
 * Step 8 (a Lambda target) runs when a function name is given that `SCHEDULER_LOCAL_FUNCTIONS`
 * maps to a local URL, as in the README.
 *
 * test/e2e/openapi-tour.e2e.test.ts runs it against `npm start`'s entry point.
 */
import { fileURLToPath } from 'node:url';
import createClient from 'openapi-fetch';
import type { components, paths } from '../docs/openapi.js';

type Job = components['schemas']['Job'];
type Execution = components['schemas']['Execution'];
type CreateJobBody = NonNullable<paths['/v1/jobs']['post']['requestBody']>['content']['application/json'];

export interface TourOptions {
  baseUrl: string;
  apiKey: string;
  /** How far ahead the one-time job runs; the README says ten seconds. */
  onceDelaySeconds?: number;
  /** A target that answers 2xx: the scheduler's own health check by default. */
  healthyUrl?: string;
  /** A target that is down: a closed port by default. */
  downUrl?: string;
  /** How long one step waits for a run before it gives up. */
  waitMs?: number;
  /** A function name the runtime's `SCHEDULER_LOCAL_FUNCTIONS` maps to a local URL; step 8 needs it. */
  lambdaFunction?: string;
  log?: (line: string) => void;
}

export interface TourResult {
  preview: string[];
  hello: { jobId: string; execution: Execution };
  report: { before: Job; patched: Job; paused: Job; resumed: Job; triggered: Execution };
  sync: { dead: Execution; replayed: Execution; cancelled: Job };
  listed: Job[];
  notFound: { status: number; code: string };
  servedFirst: string;
  /** Step 8's run, when it ran. */
  lambda?: Execution;
}

/** The first value `probe` returns, polling until `waitMs` runs out. */
async function eventually<T>(what: string, waitMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The body of an answer, or an error naming the API's code and message. */
function ok<T>(what: string, answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data !== undefined) return answer.data;
  throw new Error(`${what}: HTTP ${answer.response.status} ${JSON.stringify(answer.error)}`);
}

const attemptsOf = (execution: Execution) =>
  execution.attempts
    .map((a) => `#${a.attempt} ${a.status}${a.statusCode === null ? '' : ` (HTTP ${a.statusCode})`}`)
    .join(', ');

export async function runTour(options: TourOptions): Promise<TourResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const waitMs = options.waitMs ?? 30_000;
  const healthyUrl = options.healthyUrl ?? `${options.baseUrl}/healthz`;
  const downUrl = options.downUrl ?? 'http://127.0.0.1:9/sync';
  const api = createClient<paths>({ baseUrl: options.baseUrl, headers: { 'x-api-key': options.apiKey } });
  const createJob = async (body: CreateJobBody) =>
    ok(`createJob ${body.name}`, await api.POST('/v1/jobs', { body }));
  const executionsOf = async (id: string, status?: Execution['status']) =>
    ok(
      'listJobExecutions',
      await api.GET('/v1/jobs/{id}/executions', {
        params: { path: { id }, query: status ? { status } : {} },
      }),
    ).items;
  const execution = async (executionId: string) =>
    ok('getExecution', await api.GET('/v1/executions/{executionId}', { params: { path: { executionId } } }));
  const finished = (executionId: string, status: Execution['status']) =>
    eventually(`${executionId} to be ${status}`, waitMs, async () => {
      const current = await execution(executionId);
      return current.status === status ? current : undefined;
    });

  // 1. The next runs of a schedule in its own timezone: the DST change on 8 March shows.
  const { runs } = ok(
    'previewSchedule',
    await api.POST('/v1/schedules/preview', {
      body: {
        schedule: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' },
        from: '2026-03-07T00:00:00Z',
        count: 3,
      },
    }),
  );
  log(`1. previewSchedule "30 2 * * *" America/New_York from 2026-03-07: ${runs.join(', ')}`);

  // 2. A one-time call a few seconds from now (the smallest body: method and headers left out
  // but for GET), then its run.
  const delay = options.onceDelaySeconds ?? 10;
  const hello = await createJob({
    name: 'hello',
    schedule: { type: 'once', at: new Date(Date.now() + delay * 1000).toISOString() },
    target: { url: healthyUrl, method: 'GET' },
  });
  log(`2. createJob hello: ${hello.id} ${hello.status}, runs at ${hello.nextRunAt}`);
  const helloRun = await eventually(
    'the one-time run',
    waitMs + delay * 1000,
    async () => (await executionsOf(hello.id, 'succeeded'))[0],
  );
  log(
    `   listJobExecutions hello: ${helloRun.status}, ${attemptsOf(helloRun)}, ${helloRun.lateByMs} ms after ${helloRun.scheduledAt}`,
  );

  // 3. Every weekday at 02:30 New York time; the list shows each job's next and last run.
  const before = await createJob({
    name: 'weekday-report',
    schedule: { type: 'cron', expression: '30 2 * * 1-5', timezone: 'America/New_York' },
    target: { url: healthyUrl, method: 'GET' },
  });
  log(`3. createJob weekday-report: ${before.id}, next run ${before.nextRunAt}`);
  const listed = ok('listJobs', await api.GET('/v1/jobs', { params: { query: { limit: 100 } } })).items;
  for (const job of listed)
    log(
      `   listJobs: ${job.name ?? job.id} ${job.status}, next ${job.nextRunAt}, last ${job.lastRun?.status ?? '-'}`,
    );

  // 4. Run it now, outside its schedule, then look at the run and its attempts.
  const { executionId } = ok(
    'triggerJob',
    await api.POST('/v1/jobs/{id}/trigger', { params: { path: { id: before.id } } }),
  );
  const triggered = await finished(executionId, 'succeeded');
  log(
    `4. triggerJob weekday-report → getExecution ${executionId}: ${triggered.status}, ${attemptsOf(triggered)}`,
  );

  // 5. Change it (a new expression, the job's own timezone) only at the version read, pause, resume.
  const read = await api.GET('/v1/jobs/{id}', { params: { path: { id: before.id } } });
  const etag = read.response.headers.get('etag') ?? '';
  const current = ok('getJob', read);
  const timezone = current.schedule.type === 'cron' ? current.schedule.timezone : 'UTC';
  const patched = ok(
    'updateJob',
    await api.PATCH('/v1/jobs/{id}', {
      params: { path: { id: before.id }, header: { 'If-Match': etag } },
      body: { schedule: { type: 'cron', expression: '0 7 * * 1-5', timezone } },
    }),
  );
  log(
    `5. updateJob weekday-report (If-Match ${etag}): version ${patched.version}, next run ${patched.nextRunAt}`,
  );
  const paused = ok(
    'pauseJob',
    await api.POST('/v1/jobs/{id}/pause', { params: { path: { id: before.id } } }),
  );
  const resumed = ok(
    'resumeJob',
    await api.POST('/v1/jobs/{id}/resume', { params: { path: { id: before.id } } }),
  );
  log(`   pauseJob: ${paused.status}; resumeJob: ${resumed.status}, next run ${resumed.nextRunAt}`);

  // 6. A target that is down: two attempts, then a dead letter; fix the target and replay it.
  const sync = await createJob({
    name: 'partner-sync',
    schedule: { type: 'cron', expression: '0 * * * *' },
    target: { url: downUrl },
    retry: { maxAttempts: 2 },
  });
  const syncRun = ok(
    'triggerJob',
    await api.POST('/v1/jobs/{id}/trigger', { params: { path: { id: sync.id } } }),
  );
  const dead = await eventually('the dead letter', waitMs, async () => {
    const letters = ok('listDeadLetters', await api.GET('/v1/dead-letters', {})).items;
    return letters.find((letter) => letter.executionId === syncRun.executionId);
  });
  log(`6. listDeadLetters: ${dead.executionId} ${dead.status} after ${attemptsOf(dead)}`);
  ok(
    'updateJob partner-sync',
    await api.PATCH('/v1/jobs/{id}', {
      params: { path: { id: sync.id } },
      body: { target: { url: healthyUrl, method: 'GET' } },
    }),
  );
  ok(
    'replayDeadLetter',
    await api.POST('/v1/dead-letters/{executionId}/replay', {
      params: { path: { executionId: dead.executionId } },
    }),
  );
  const replayed = await finished(dead.executionId, 'succeeded');
  log(`   replayDeadLetter after updateJob: ${replayed.status}, ${attemptsOf(replayed)}`);

  // 7. Cancel: no further runs. And an id that does not exist is a typed 404.
  const cancelled = ok('cancelJob', await api.DELETE('/v1/jobs/{id}', { params: { path: { id: sync.id } } }));
  log(`7. cancelJob partner-sync: ${cancelled.status}, next run ${cancelled.nextRunAt}`);
  const missing = await api.GET('/v1/jobs/{id}', {
    params: { path: { id: 'job_00000000000000000000000000' } },
  });
  // 401, 403 and 429 may come from API Gateway in AWS as `{"message":…}`: the types say so.
  const refusal = missing.error;
  const notFound = {
    status: missing.response.status,
    code: refusal && 'error' in refusal ? refusal.error.code : (refusal?.message ?? ''),
  };
  log(`   getJob of an unknown id: ${notFound.status} ${notFound.code}`);

  // 8. An AWS target: a Lambda function, called with the run's context in its payload.
  let lambda: Execution | undefined;
  if (options.lambdaFunction) {
    const report = await createJob({
      name: 'send-report',
      schedule: { type: 'rate', expression: 'rate(1 hour)' },
      target: {
        type: 'lambda',
        functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${options.lambdaFunction}`,
        invocationType: 'RequestResponse',
        payload: '{"day":"<scheduler.scheduled-time>"}',
        roleArn: 'arn:aws:iam::123456789012:role/scheduler-target-reports',
      },
    });
    const run = ok(
      'triggerJob',
      await api.POST('/v1/jobs/{id}/trigger', { params: { path: { id: report.id } } }),
    );
    lambda = await finished(run.executionId, 'succeeded');
    const answer = Object.entries(lambda.attempts.at(-1)?.response ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    log(`8. createJob send-report (lambda, rate(1 hour)) → triggerJob: ${lambda.status}, ${answer}`);
  } else log('8. (a Lambda target: give a function name that SCHEDULER_LOCAL_FUNCTIONS maps)');

  const document = ok('openApi', await api.GET('/v1/openapi.json', {}));
  const servedFirst = (document.servers as { url: string }[] | undefined)?.[0]?.url ?? '';
  log(`   openApi: servers[0] ${servedFirst}`);

  return {
    preview: runs,
    hello: { jobId: hello.id, execution: helloRun },
    report: { before, patched, paused, resumed, triggered },
    sync: { dead, replayed, cancelled },
    listed,
    notFound,
    servedFirst,
    ...(lambda ? { lambda } : {}),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [baseUrl, apiKey, lambdaFunction] = process.argv.slice(2);
  runTour({
    ...(lambdaFunction ? { lambdaFunction } : {}),
    baseUrl: (baseUrl ?? process.env.SCHEDULER_ENDPOINT ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    apiKey: apiKey ?? process.env.SCHEDULER_API_KEY ?? 'dev-key',
  }).catch((error: unknown) => {
    process.stderr.write(`tour: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
