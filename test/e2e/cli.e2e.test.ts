import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../cli/context.js';
import { EXIT } from '../../cli/exit-codes.js';
import { runCli } from '../../cli/run.js';
import { SchedulerClient } from '../../client/index.js';
import { closedPort } from '../support/ports.js';
import { API_KEY, e2eRuntime, OTHER_KEY } from '../support/runtime.js';
import { waitFor } from '../support/sink.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('scheduler CLI against the local runtime', () => {
  const e2e = e2eRuntime({
    runtime: { targetAllowlist: ['127.0.0.0/8', '::1'] },
    respond: (call) => behaviours.get(call.path)?.() ?? { status: 200 },
  });
  let client: SchedulerClient;
  const behaviours = new Map<string, () => { status: number; delayMs?: number }>();

  /** Runs one command line in-process with captured output, as a shell with the env set would. */
  async function cli(
    argv: string[],
    options: { env?: Record<string, string | undefined>; stdin?: string; tty?: boolean } = {},
  ): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const io: Io = {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      stderrIsTty: options.tty ?? false,
      env: { SCHEDULER_ENDPOINT: e2e.runtime.url, SCHEDULER_API_KEY: API_KEY, ...options.env },
      readStdin: () => options.stdin ?? '',
      now: Date.now,
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  }

  /** `--json` output of a command that must succeed. */
  async function cliJson<T>(argv: string[]): Promise<T> {
    const out = await cli([...argv, '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(EXIT.ok);
    return JSON.parse(out.stdout) as T;
  }

  beforeAll(async () => {
    client = new SchedulerClient({ endpoint: e2e.runtime.url, apiKey: API_KEY });
  });

  it('creates a cron job from flags, shows it as a table, and as JSON with --json', async () => {
    const created = await cli([
      'jobs',
      'create',
      '--name',
      'cli-report',
      '--cron',
      '30 2 * * 1-5',
      '--tz',
      'America/New_York',
      '--url',
      `${e2e.sink.url}/report`,
      '--body',
      '{"report":"daily"}',
      '--header',
      'x-team=data',
      '--max-attempts',
      '5',
    ]);
    expect(created.code).toBe(EXIT.ok);
    expect(created.stderr).toBe('');
    const id = /^created (job_\w+)/.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    expect(created.stdout).toMatch(/schedule: +cron "30 2 \* \* 1-5" America\/New_York/);
    expect(created.stdout).toContain(`target:   POST ${e2e.sink.url}/report`);

    const job = await client.getJob(id!);
    expect(job).toMatchObject({
      name: 'cli-report',
      schedule: { type: 'cron', expression: '30 2 * * 1-5', timezone: 'America/New_York' },
      target: { url: `${e2e.sink.url}/report`, body: '{"report":"daily"}', headers: { 'x-team': 'data' } },
      retry: { maxAttempts: 5 },
    });

    const table = await cli(['jobs', 'list', '--name', 'cli-report']);
    expect(table.code).toBe(EXIT.ok);
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +NAME +STATUS +SCHEDULE +NEXT RUN +LAST RUN$/);
    expect(row).toContain(id!);
    expect(row).toContain(`${job.nextRunAt!.slice(0, 10)} ${job.nextRunAt!.slice(11, 19)}Z (in `);
    expect(rest).toEqual([]);

    expect(await cliJson(['jobs', 'get', id!])).toEqual(job);
    expect(await cliJson(['jobs', 'list', '--name', 'cli-report'])).toEqual([job]);
    expect((await cli(['jobs', 'list', '--name', 'nothing-like-this'])).stdout).toBe('No jobs.\n');
  });

  it('creates a job from a JSON file on stdin, flags overriding its fields', async () => {
    const file = JSON.stringify({
      name: 'from-file',
      schedule: { type: 'rate', everySeconds: 3600 },
      target: { url: `${e2e.sink.url}/file`, method: 'PUT' },
      priority: 'low',
    });
    const out = await cli(['jobs', 'create', '--file', '-', '--name', 'from-flags', '--json'], {
      stdin: file,
    });
    expect(out.stderr).toBe('');
    const job = JSON.parse(out.stdout);
    expect(job).toMatchObject({ name: 'from-flags', priority: 'low', target: { method: 'PUT' } });
  });

  it('patches a partial target into the current job under If-Match, pauses, resumes and cancels', async () => {
    const job = await client.createJob({
      name: 'cli-lifecycle',
      schedule: { type: 'cron', expression: '0 3 * * *' },
      target: { url: `${e2e.sink.url}/a`, headers: { 'x-one': '1' } },
    });
    const patched = await cli(['jobs', 'patch', job.id, '--header', 'x-two=2', '--tz', 'Europe/Paris']);
    expect(patched.stderr).toBe('');
    expect(patched.stdout).toMatch(
      new RegExp(
        `^updated ${job.id} \\(version 2\\): replaced schedule, target \\(your flags merged into the current values\\)\n`,
      ),
    );
    expect((await cli(['jobs', 'patch', '--help'])).stdout).toContain('replaces each field it is sent whole');
    expect(await client.getJob(job.id)).toMatchObject({
      version: 2,
      schedule: { type: 'cron', expression: '0 3 * * *', timezone: 'Europe/Paris' },
      target: { url: `${e2e.sink.url}/a`, headers: { 'x-one': '1', 'x-two': '2' } },
    });

    // A new expression keeps the job's timezone.
    expect((await cli(['jobs', 'patch', job.id, '--cron', '0 7 * * 1-5'])).code).toBe(EXIT.ok);
    expect((await client.getJob(job.id)).schedule).toMatchObject({
      expression: '0 7 * * 1-5',
      timezone: 'Europe/Paris',
    });

    const stale = await cli(['jobs', 'patch', job.id, '--name', 'renamed', '--if-match', '1']);
    expect(stale.code).toBe(EXIT.apiError);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toMatch(/^scheduler: precondition_failed: .+\n$/);
    expect((await client.getJob(job.id)).name).toBe('cli-lifecycle');

    expect((await cli(['jobs', 'pause', job.id])).stdout).toMatch(/^paused job_/);
    expect((await client.getJob(job.id)).status).toBe('paused');
    expect((await cliJson<{ status: string }>(['jobs', 'resume', job.id])).status).toBe('active');
    const cancelled = await cli(['jobs', 'cancel', job.id]);
    expect(cancelled.stdout).toMatch(/^cancelled job_/);
    expect(cancelled.stdout).toMatch(/status: +cancelled/);
    const again = await cli(['jobs', 'patch', job.id, '--name', 'x']);
    expect(again.code).toBe(EXIT.apiError);
    expect(again.stderr).toMatch(/^scheduler: conflict: /);
  });

  it('triggers a job and shows its runs and one run with its attempts', async () => {
    const job = await client.createJob({
      name: 'cli-trigger',
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}/triggered` },
    });
    const triggered = await cli(['jobs', 'trigger', job.id]);
    expect(triggered.code).toBe(EXIT.ok);
    const executionId = /execution (\S+)$/.exec(triggered.stdout.trim())?.[1];
    expect(executionId?.startsWith(`${job.id}:`)).toBe(true);
    await waitFor(
      async () => (await client.getExecution(executionId!)).status === 'succeeded',
      5000,
      'the triggered run',
    );

    const runs = await cli(['runs', 'list', job.id]);
    const lines = runs.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SCHEDULED +TRIGGER +STATUS +ATTEMPTS +LATE +RESULT +EXECUTION ID$/);
    expect(lines[1]).toMatch(/ manual +succeeded +1 +\d+ ms +HTTP 200 +job_/);
    expect(lines).toHaveLength(2);
    expect((await cli(['runs', 'list', job.id, '--status', 'failed'])).stdout).toBe('No runs.\n');
    // Relative times as the help writes them: the run is within the last hour, not in the last 0 s.
    expect((await cli(['runs', 'list', job.id, '--from', '-1h'])).stdout).toBe(runs.stdout);
    expect((await cli(['runs', 'list', job.id, '--to', '-1h'])).stdout).toBe('No runs.\n');

    const one = await cli(['runs', 'get', executionId!]);
    expect(one.stdout).toMatch(/status: +succeeded/);
    expect(one.stdout).toMatch(/\n1 +\S+ \S+ +succeeded +200 +\d+ ms +-\n/);
    const asJson = await cliJson<{ attempts: Array<{ statusCode: number }> }>(['runs', 'get', executionId!]);
    expect(asJson.attempts.map((a) => a.statusCode)).toEqual([200]);
  });

  it('cancels a running execution', async () => {
    behaviours.set('/slow', () => ({ status: 200, delayMs: 5000 }));
    const job = await client.createJob({
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}/slow` },
    });
    const { executionId } = await client.triggerJob(job.id);
    await waitFor(() => e2e.sink.calls.some((c) => c.path === '/slow'), 5000, 'the slow call to start');
    const out = await cli(['runs', 'cancel', executionId]);
    expect(out.code).toBe(EXIT.ok);
    expect(out.stdout).toContain(`cancel requested for ${executionId}`);
    await waitFor(
      async () => (await client.getExecution(executionId)).status === 'cancelled',
      5000,
      'the cancel',
    );
  });

  it('lists a dead letter and replays it after the target is fixed', async () => {
    let healthy = false;
    behaviours.set('/flaky', () => ({ status: healthy ? 200 : 503 }));
    const job = await client.createJob({
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}/flaky` },
      retry: { maxAttempts: 2, initialDelaySeconds: 0.1, maxDelaySeconds: 1, jitter: 'none' },
    });
    const { executionId } = await client.triggerJob(job.id);
    await waitFor(
      async () => (await client.getExecution(executionId)).status === 'dead',
      8000,
      'the dead letter',
    );
    const listed = await cli(['dead-letters', 'list']);
    expect(listed.stdout.split('\n')[0]).toMatch(/^EXECUTION ID +JOB +SCHEDULED +ATTEMPTS +LAST ERROR$/);
    expect(listed.stdout).toMatch(new RegExp(`${executionId} +${job.id} +\\S+ \\S+ +2 +HTTP 503`));

    healthy = true;
    const replayed = await cli(['dead-letters', 'replay', executionId]);
    expect(replayed.code).toBe(EXIT.ok);
    expect(replayed.stdout).toBe(`replaying ${executionId}: queued\n`);
    await waitFor(
      async () => (await client.getExecution(executionId)).status === 'succeeded',
      5000,
      'the replay',
    );
    const again = await cli(['dead-letters', 'replay', executionId]);
    expect(again.code).toBe(EXIT.apiError);
    expect(again.stderr).toMatch(/only dead executions can be replayed/);
  });

  it('previews a cron in its timezone, the DST change visible, and as JSON', async () => {
    const argv = [
      'preview',
      '30 2 * * *',
      '--tz',
      'America/New_York',
      '--from',
      '2026-03-07',
      '--count',
      '3',
    ];
    const out = await cli(argv);
    expect(out.stdout).toBe(
      [
        '#  UTC                   America/New_York',
        '1  2026-03-07 07:30:00Z  2026-03-07 02:30:00 EST',
        '2  2026-03-08 07:00:00Z  2026-03-08 03:00:00 EDT',
        '3  2026-03-09 06:30:00Z  2026-03-09 02:30:00 EDT',
        '',
      ].join('\n'),
    );
    expect(await cliJson(argv)).toEqual({
      runs: ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    });
  });

  it('reports progress on stderr while a long list is fetched page by page, not with --quiet', async () => {
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.createJob({
          name: `cli-page-${i}`,
          schedule: { type: 'cron', expression: '0 0 1 1 *' },
          target: { url: `${e2e.sink.url}/never` },
        }),
      ),
    );
    const argv = ['jobs', 'list', '--name', 'cli-page-', '--all', '--page-size', '2'];
    const piped = await cli(argv);
    expect(piped.code).toBe(EXIT.ok);
    expect(piped.stderr).toBe('fetched 2 jobs…\nfetched 4 jobs…\n');
    expect(piped.stdout.trimEnd().split('\n')).toHaveLength(6);

    const tty = await cli(argv, { tty: true });
    expect(tty.stderr).toBe('\r\x1b[2Kfetched 2 jobs…\r\x1b[2Kfetched 4 jobs…\r\x1b[2K');

    const quiet = await cli([...argv, '--quiet']);
    expect(quiet.stderr).toBe('');
    const limited = await cliJson<unknown[]>(['jobs', 'list', '--name', 'cli-page-', '--limit', '3']);
    expect(limited).toHaveLength(3);
  });

  it('takes the endpoint and key from flags over the environment', async () => {
    const port = await closedPort();
    const env = { SCHEDULER_ENDPOINT: `http://127.0.0.1:${port}`, SCHEDULER_API_KEY: 'wrong' };
    const viaFlags = await cli(
      ['jobs', 'list', '--endpoint', e2e.runtime.url, '--api-key', OTHER_KEY, '--json'],
      {
        env,
      },
    );
    expect(viaFlags.code).toBe(EXIT.ok);
    // The other tenant sees none of this tenant's jobs.
    expect(JSON.parse(viaFlags.stdout)).toEqual([]);
  });

  describe('exit codes and one-line errors', () => {
    const usage: Array<[string, string[], RegExp]> = [
      ['no command', [], /^Usage: scheduler <command>/],
      ['an unknown command', ['jobs', 'explode'], /^scheduler: unknown command "jobs explode"/],
      ['an unknown flag', ['jobs', 'list', '--colour'], /^scheduler: Unknown option '--colour'/],
      ['a flag of another command', ['jobs', 'get', 'job_1', '--cron', '* * * * *'], /does not take --cron/],
      ['a missing argument', ['runs', 'get'], /^scheduler: runs get needs <executionId>\n$/],
      ['a bad number', ['preview', '* * * * *', '--count', 'many'], /--count must be a whole number/],
      ['no schedule', ['jobs', 'create', '--url', 'https://example.com'], /give a schedule/],
      ['an unreadable file', ['jobs', 'create', '--file', '/nonexistent.json'], /cannot read .+ENOENT/],
    ];
    it.each(usage)('exits 2 on %s', async (_what, argv, message) => {
      const out = await cli(argv);
      expect(out.code).toBe(EXIT.usage);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(message);
    });

    it('exits 1 with the API code, message and field path when the API refuses', async () => {
      const invalid = await cli(['jobs', 'create', '--now', '--url', 'ftp://example.com/x']);
      expect(invalid.code).toBe(EXIT.apiError);
      expect(invalid.stderr).toMatch(/^scheduler: validation_error: .*target\.url.*\n$/);
      const missing = await cli(['jobs', 'get', 'job_01J0000000000000000000000']);
      expect(missing).toMatchObject({ code: EXIT.apiError, stdout: '' });
      expect(missing.stderr).toMatch(/^scheduler: not_found: /);
      const badCron = await cli(['preview', 'not a cron']);
      expect(badCron.code).toBe(EXIT.apiError);
      const noKey = await cli(['jobs', 'list'], { env: { SCHEDULER_API_KEY: undefined } });
      expect(noKey.code).toBe(EXIT.apiError);
      expect(noKey.stderr).toMatch(/^scheduler: unauthorized: .*\(set SCHEDULER_API_KEY or --api-key\)\n$/);
    });

    it('exits 3 when the server fails or cannot be reached', async () => {
      const port = await closedPort();
      const down = await cli(['jobs', 'list'], { env: { SCHEDULER_ENDPOINT: `http://127.0.0.1:${port}` } });
      expect(down.code).toBe(EXIT.unavailable);
      expect(down.stderr).toBe(`scheduler: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);

      // The sink plays a broken API: every answer is a 503 (the client retries, then gives up).
      behaviours.set('/v1/jobs?limit=50', () => ({ status: 503 }));
      const failing = await cli(['jobs', 'list'], { env: { SCHEDULER_ENDPOINT: e2e.sink.url } });
      expect(failing.code).toBe(EXIT.unavailable);
      expect(failing.stderr).toBe('scheduler: http_503: HTTP 503: {}\n');
      expect(e2e.sink.calls.filter((c) => c.path === '/v1/jobs?limit=50')).toHaveLength(4);

      // Something that is not the scheduler answers 200 with a body that is not a page.
      const notTheApi = await cli(['runs', 'list', 'job_1'], { env: { SCHEDULER_ENDPOINT: e2e.sink.url } });
      expect(notTheApi.code).toBe(EXIT.unavailable);
      expect(notTheApi.stderr).toMatch(/^scheduler: .*not a page of items.*\n$/);
    });
  });

  it("runs as the package's bin (what `npx scheduler` starts): its exit code and streams reach the shell", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    const bin = join(REPO, pkg.bin.scheduler!);
    const env = { ...process.env, SCHEDULER_ENDPOINT: e2e.runtime.url, SCHEDULER_API_KEY: API_KEY };
    // Executed directly, as npm's bin shim does: the shebang and the tsx loader must work without a build.
    const out = await run(bin, ['preview', '0 9 * * 1', '--count', '2', '--json'], { cwd: tmpdir(), env });
    expect(JSON.parse(out.stdout).runs).toHaveLength(2);
    const failed = await run(bin, ['jobs', 'get', 'job_nope'], { cwd: tmpdir(), env }).catch(
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: EXIT.apiError, stdout: '' });
    expect(failed.stderr).toMatch(/^scheduler: not_found: job job_nope not found\n$/);
  }, 30_000);
});
