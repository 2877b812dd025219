import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, SchedulerApiError, SchedulerClient, SchedulerNetworkError } from '../../client/index.js';
import { openApiDocumentFor } from '../../lambdas/api/openapi.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { closedPort } from '../support/ports.js';
import { API_KEY, e2eRuntime, OTHER_KEY, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { waitFor } from '../support/sink.js';

describe('SchedulerClient against the local runtime', () => {
  const e2e = e2eRuntime({
    runtime: { targetAllowlist: ['127.0.0.0/8', '::1'] },
    respond: (call) => behaviours.get(call.path)?.() ?? { status: 200 },
  });
  let client: SchedulerClient;
  const behaviours = new Map<string, () => { status: number; delayMs?: number }>();

  beforeAll(async () => {
    client = new SchedulerClient({ endpoint: e2e.runtime.url, apiKey: API_KEY });
  });

  it('creates, reads and cancels a job with the typed resource', async () => {
    const created = await client.createJob({
      name: 'client-cron',
      schedule: { type: 'cron', expression: '0 3 * * *', timezone: 'Europe/Paris' },
      target: { url: `${e2e.sink.url}/never`, headers: { 'x-team': 'data' } },
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^job_/),
      name: 'client-cron',
      status: 'active',
      version: 1,
      schedule: { type: 'cron', expression: '0 3 * * *', timezone: 'Europe/Paris' },
      target: { method: 'POST', headers: { 'x-team': 'data' } },
    });
    expect(Date.parse(created.nextRunAt ?? '')).toBeGreaterThan(Date.now());
    expect(await client.getJob(created.id)).toEqual(created);

    const cancelled = await client.cancelJob(created.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.nextRunAt).toBeNull();
    expect((await client.cancelJob(created.id)).status).toBe('cancelled');
  });

  it('pages through every job with the async iterator', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `page-${i}`);
    await Promise.all(
      names.map((name) =>
        client.createJob({
          name,
          schedule: { type: 'cron', expression: '0 0 1 1 *' },
          target: { url: `${e2e.sink.url}/never` },
        }),
      ),
    );
    const pages: number[] = [];
    const jobs = await collect(
      client.iterateJobs({ name: 'page-' }, { pageSize: 2, onPage: (p) => pages.push(p.pages) }),
    );
    expect(jobs.map((j) => j.name).sort()).toEqual(names);
    expect(pages).toEqual([1, 2, 3]);
    const firstTwo = await collect(client.iterateJobs({ name: 'page-' }, { max: 2 }));
    expect(firstTwo).toHaveLength(2);
  });

  it('triggers a run and follows it to success through the executions API', async () => {
    const job = await client.createJob({
      name: 'client-trigger',
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}/triggered` },
    });
    const { executionId } = await client.triggerJob(job.id);
    expect(executionId.startsWith(`${job.id}:`)).toBe(true);
    const done = await waitFor(
      async () => {
        const e = await client.getExecution(executionId);
        return e.status === 'succeeded' ? e : undefined;
      },
      5000,
      'the triggered run',
    );
    expect(done).toMatchObject({ trigger: 'manual', attempts: [{ attempt: 1, statusCode: 200 }] });
    expect(e2e.sink.calls.filter((c) => c.path === '/triggered')).toHaveLength(1);
    const history = await collect(client.iterateExecutions(job.id, { status: 'succeeded' }));
    expect(history.map((e) => e.executionId)).toEqual([executionId]);
  });

  it('cancels a running execution', async () => {
    behaviours.set('/slow', () => ({ status: 200, delayMs: 5000 }));
    const job = await client.createJob({
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}/slow` },
    });
    const { executionId } = await client.triggerJob(job.id);
    await waitFor(() => e2e.sink.calls.some((c) => c.path === '/slow'), 5000, 'the slow call to start');
    await client.cancelExecution(executionId);
    const final = await waitFor(
      async () => {
        const e = await client.getExecution(executionId);
        return e.status === 'cancelled' ? e : undefined;
      },
      5000,
      'the cancel',
    );
    expect(final.attempts[0]?.status).toBe('cancelled');
  });

  it('lists a dead letter and replays it', async () => {
    let healthy = false;
    behaviours.set('/flaky', () => ({ status: healthy ? 200 : 503 }));
    const job = await client.createJob({
      schedule: { type: 'immediate' },
      target: { url: `${e2e.sink.url}/flaky` },
      retry: { maxAttempts: 2, initialDelaySeconds: 0.1, maxDelaySeconds: 1, jitter: 'none' },
    });
    const dead = await waitFor(
      async () => (await collect(client.iterateDeadLetters())).find((e) => e.jobId === job.id),
      8000,
      'the dead letter',
    );
    expect(dead.status).toBe('dead');
    healthy = true;
    const replayed = await client.replayDeadLetter(dead.executionId);
    expect(replayed.executionId).toBe(dead.executionId);
    await waitFor(
      async () => (await client.getExecution(dead.executionId)).status === 'succeeded',
      5000,
      'the replay',
    );
  });

  it('previews a schedule across a DST change', async () => {
    const out = await client.previewSchedule({
      schedule: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' },
      from: '2026-03-07T00:00:00Z',
      count: 3,
    });
    expect(out.runs).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('throws typed errors carrying the API code, message and field details', async () => {
    const invalid = await client
      .createJob({ schedule: { type: 'immediate' }, target: { url: 'ftp://example.com' } })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(SchedulerApiError);
    expect(invalid).toMatchObject({
      status: 400,
      code: 'validation_error',
      details: [expect.objectContaining({ path: 'target.url' })],
    });

    await expect(client.getJob('job_01J0000000000000000000000')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
    const own = await client.createJob({
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}/never` },
    });
    const otherTenant = new SchedulerClient({ endpoint: e2e.runtime.url, apiKey: OTHER_KEY });
    await expect(otherTenant.getJob(own.id)).rejects.toMatchObject({ status: 404 });
    const noKey = new SchedulerClient({ endpoint: e2e.runtime.url, apiKey: 'wrong' });
    await expect(noKey.listJobs()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('reports an unreachable endpoint as a network error after its retries', async () => {
    const port = await closedPort();
    const sleeps: number[] = [];
    const offline = new SchedulerClient({
      endpoint: `http://127.0.0.1:${port}`,
      apiKey: API_KEY,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const error = await offline.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchedulerNetworkError);
    expect((error as Error).message).toBe(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(sleeps).toHaveLength(3);
  });

  it('reads health and the served OpenAPI document', async () => {
    await e2e.runtime.recovered;
    expect(await client.health()).toEqual({
      status: 'ok',
      recovery: expect.objectContaining({ state: 'done', resent: 0 }),
    });
    expect(await client.openApi()).toEqual(openApiDocumentFor(e2e.runtime.url));
  });
});

describe('SchedulerClient against a rate-limited local runtime', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime(data.dir, { limits: { apiRatePerSecond: 1, apiBurst: 1 } });
  });

  afterAll(async () => {
    await runtime?.stop();
    data.remove();
  });

  it('waits the Retry-After of a real 429, then succeeds; without retries the 429 reaches the caller', async () => {
    const waits: number[] = [];
    const patient = new SchedulerClient({
      endpoint: runtime.url,
      apiKey: API_KEY,
      sleep: (ms) => {
        waits.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    const impatient = new SchedulerClient({
      endpoint: runtime.url,
      apiKey: API_KEY,
      retry: { maxRetries: 0 },
    });
    // The bucket holds one request: the first takes it, the next two find it empty.
    await patient.listJobs();
    const [refused, page] = await Promise.all([
      impatient.listJobs().catch((e: unknown) => e),
      patient.listJobs(),
    ]);
    expect(refused).toBeInstanceOf(SchedulerApiError);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited', retryAfterMs: 1000 });
    expect(page).toEqual({ items: [], nextCursor: null });
    expect(waits).toEqual([1000]);
  });
});
