import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, OTHER_KEY, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type Sink, startSink, waitFor } from '../support/sink.js';

/**
 * History end to end on the real local runtime: executions leave the hot table two seconds after
 * they finish, the TTL sweeper (every 200 ms) stages them in the archive under the data directory,
 * the compactor (asked here, with no settle time) turns the staging into parts, and the API keeps
 * returning them, merged with what is still hot, before and after compaction and after a restart.
 */
describe('execution history, end to end', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime;
  let sink: Sink;
  let api: ReturnType<typeof apiClient>;
  let jobId: string;
  const ids: { succeeded: string; failed: string; running: string } = {
    succeeded: '',
    failed: '',
    running: '',
  };
  let hotView: unknown;

  // Today's removals count as settled at once (in AWS and by default locally: a day after the date ends).
  const options = { hotRetentionSeconds: 2, sweepIntervalMs: 200, compactionSettleMs: -2 * 86_400_000 };

  beforeAll(async () => {
    sink = await startSink();
    runtime = await startTestRuntime(data.dir, options);
    api = apiClient(runtime.url);
    let calls = 0;
    // First call succeeds, second fails (no retry), third keeps the execution running for 3 s.
    sink.respond(() => {
      calls++;
      if (calls === 1) return { status: 200 };
      if (calls === 2) return { status: 500 };
      return { status: 200, delayMs: 3000 };
    });
    const created = await api('POST', '/v1/jobs', {
      name: 'history',
      schedule: { type: 'once', at: new Date(Date.now() + 86_400_000).toISOString() },
      target: { url: `${sink.url}/history`, method: 'POST' },
      retry: { maxAttempts: 1 },
    });
    expect(created.status).toBe(201);
    jobId = created.body.id;
  });

  afterAll(async () => {
    await runtime?.stop();
    await sink?.close();
    data.remove();
  });

  const finalStatus = (executionId: string, status: string) =>
    waitFor(
      async () => {
        const res = await api('GET', `/v1/executions/${encodeURIComponent(executionId)}`);
        return res.body?.status === status ? res.body : undefined;
      },
      8000,
      `${executionId} to be ${status}`,
    );

  it('returns an execution from the archive once it expired and was swept from the hot table', async () => {
    const first = await api('POST', `/v1/jobs/${jobId}/trigger`);
    expect(first.status).toBe(202);
    ids.succeeded = first.body.executionId;
    hotView = await finalStatus(ids.succeeded, 'succeeded');

    await waitFor(
      async () => (await runtime.deps.executions.getExecution(ids.succeeded)) === null,
      8000,
      'the sweeper to remove the expired execution',
    );
    // Deleted from the table first, then archived (as TTL then the stream): the API finds it once written.
    const archived = await waitFor(
      async () => {
        const res = await api('GET', `/v1/executions/${encodeURIComponent(ids.succeeded)}`);
        return res.status === 200 ? res : undefined;
      },
      5000,
      'the archived execution',
    );
    expect(await runtime.deps.executions.getExecution(ids.succeeded)).toBeNull();
    expect(archived.body).toEqual(hotView);
    expect(archived.body.attempts).toHaveLength(1);

    // Staged: one object per sweep (the local stream batch), under the hour it was removed.
    const staging = join(data.dir, 'archive', 'executions', 'staging');
    const [removedOn] = readdirSync(staging);
    expect(removedOn).toMatch(/^date=\d{4}-\d{2}-\d{2}$/);
    const [hour] = readdirSync(join(staging, removedOn!));
    expect(readdirSync(join(staging, removedOn!, hour!))).toEqual([
      expect.stringMatching(/^\d{8}T\d{9}Z-\d{8}T\d{9}Z-[0-9a-f]{16}\.jsonl\.gz$/),
    ]);

    // Another tenant cannot read it from the archive either.
    const other = await apiClient(runtime.url, OTHER_KEY)(
      'GET',
      `/v1/executions/${encodeURIComponent(ids.succeeded)}`,
    );
    expect(other.status).toBe(404);
  });

  it('merges hot and archived executions in the list, with filters and cursors across the boundary', async () => {
    const second = await api('POST', `/v1/jobs/${jobId}/trigger`);
    ids.failed = second.body.executionId;
    await finalStatus(ids.failed, 'failed');
    await waitFor(
      async () =>
        (await runtime.deps.executions.getExecution(ids.failed)) === null &&
        (await api('GET', `/v1/executions/${encodeURIComponent(ids.failed)}`)).status === 200,
      8000,
      'the failed execution to be archived',
    );
    // The third call takes 3 s: the execution stays `running` in the hot table meanwhile.
    const third = await api('POST', `/v1/jobs/${jobId}/trigger`);
    ids.running = third.body.executionId;
    await finalStatus(ids.running, 'running');

    const list = (query: string) => api('GET', `/v1/jobs/${jobId}/executions${query}`);
    const all = await list('');
    expect(all.status).toBe(200);
    expect(all.body.items.map((e: { executionId: string }) => e.executionId)).toEqual([
      ids.running,
      ids.failed,
      ids.succeeded,
    ]);
    expect(all.body.nextCursor).toBeNull();

    // One per page: hot, then cold, then cold, then the end.
    const pages: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await list(`?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      pages.push(...page.body.items.map((e: { executionId: string }) => e.executionId));
      cursor = page.body.nextCursor;
    }
    expect(pages).toEqual([ids.running, ids.failed, ids.succeeded]);

    const ofStatus = async (status: string) =>
      (await list(`?status=${status}`)).body.items.map((e: { executionId: string }) => e.executionId);
    expect(await ofStatus('failed')).toEqual([ids.failed]);
    expect(await ofStatus('running')).toEqual([ids.running]);
    expect(await ofStatus('succeeded')).toEqual([ids.succeeded]);

    const failedAt = ids.failed.slice(jobId.length + 1);
    const from = await list(`?from=${encodeURIComponent(failedAt)}&limit=1`);
    expect(from.body.items.map((e: { executionId: string }) => e.executionId)).toEqual([ids.running]);
    const fromNext = await list(
      `?from=${encodeURIComponent(failedAt)}&limit=1&cursor=${encodeURIComponent(from.body.nextCursor)}`,
    );
    expect(fromNext.body.items.map((e: { executionId: string }) => e.executionId)).toEqual([ids.failed]);
    const to = await list(`?to=${encodeURIComponent(failedAt)}`);
    expect(to.body.items.map((e: { executionId: string }) => e.executionId)).toEqual([
      ids.failed,
      ids.succeeded,
    ]);

    // An empty range is an empty page, in the hot table (DynamoDB refuses a BETWEEN upside down) and the archive.
    const upsideDown = await list(
      `?from=${encodeURIComponent(failedAt)}&to=${encodeURIComponent(ids.succeeded.slice(jobId.length + 1))}`,
    );
    expect(upsideDown.status).toBe(200);
    expect(upsideDown.body).toEqual({ items: [], nextCursor: null });

    // The running execution was hot while those lists were made.
    expect(await runtime.deps.executions.getExecution(ids.running)).not.toBeNull();
    const bad = await list('?cursor=bm90LWEtY3Vyc29y');
    expect(bad.status).toBe(400);
  });

  it('serves the same history once the compactor has turned the staging into a part', async () => {
    const before = (await api('GET', `/v1/jobs/${jobId}/executions`)).body;
    const report = await runtime.compaction.run();
    expect(report).toMatchObject({ failed: [], rows: 2, parts: 1, stagingDeleted: 2 });
    const archive = join(data.dir, 'archive', 'executions');
    expect(existsSync(join(archive, 'staging'))).toBe(false);
    const scheduledOn = ids.succeeded.slice(jobId.length + 1, jobId.length + 11);
    expect(readdirSync(join(archive, 'tenant=team-a', `date=${scheduledOn}`))).toEqual([
      expect.stringMatching(/^\d{4}-\d{2}-\d{2}-g0001-s0of1\.jsonl\.gz$/),
    ]);
    expect((await api('GET', `/v1/jobs/${jobId}/executions`)).body).toEqual(before);
    const found = await api('GET', `/v1/executions/${encodeURIComponent(ids.failed)}`);
    expect(found.status).toBe(200);
    expect(found.body.status).toBe('failed');
  });

  it('still serves archived history after a restart on the same data directory', async () => {
    await finalStatus(ids.running, 'succeeded');
    await runtime.stop();
    runtime = await startTestRuntime(data.dir, options);
    api = apiClient(runtime.url);
    const again = await api('GET', `/v1/executions/${encodeURIComponent(ids.succeeded)}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(hotView);
    const all = await waitFor(
      async () => {
        const res = await api('GET', `/v1/jobs/${jobId}/executions`);
        return res.body.items.length === 3 ? res.body : undefined;
      },
      8000,
      'the whole history after the restart',
    );
    expect(all.items.map((e: { status: string }) => e.status)).toEqual(['succeeded', 'failed', 'succeeded']);
  });
});
