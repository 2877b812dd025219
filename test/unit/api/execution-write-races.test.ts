import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../../schemas/records.js';
import { apiHarness, cronSchedule } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

/** A job triggered through the API: its queued execution's id. */
async function triggered() {
  const h = apiHarness(NOW);
  const created = await h.request('POST', '/v1/jobs', {
    schedule: cronSchedule('0 15 * * *'),
    target: { url: 'https://example.com/hook' },
    retry: { maxAttempts: 2, jitter: 'none' },
  });
  const run = await h.request('POST', `/v1/jobs/${created.body.id}/trigger`);
  expect(run.status).toBe(202);
  return { h, executionId: run.body.executionId as string };
}

/** Before the next `operation` write, another writer changes the stored execution with `change`. */
function raceOnce(
  h: ReturnType<typeof apiHarness>,
  operation: string,
  change: (current: ExecutionRecord) => ExecutionRecord,
) {
  let raced = false;
  h.executions.beforeWrite = (op, id) => {
    if (op !== operation || raced) return;
    raced = true;
    const current = h.executions.items.get(id)!;
    h.executions.items.set(id, change(current));
  };
}

describe('API: an execution command that loses a write race', () => {
  it('cancel retries on a fresh read: the run claimed meanwhile gets its cancel request', async () => {
    const { h, executionId } = await triggered();
    raceOnce(h, 'requestCancel', (e) => ({ ...e, status: 'running', rev: e.rev + 1 }));
    const res = await h.request('POST', `/v1/executions/${executionId}/cancel`);
    expect(res.status).toBe(200);
    expect(h.executions.items.get(executionId)).toMatchObject({ status: 'running' });
    expect(h.executions.items.get(executionId)?.cancelRequestedAt).toBeDefined();
  });

  it('cancel answers 409 when the run finished meanwhile, and leaves it as it finished', async () => {
    const { h, executionId } = await triggered();
    raceOnce(h, 'requestCancel', (e) => ({ ...e, status: 'succeeded', rev: e.rev + 1 }));
    const res = await h.request('POST', `/v1/executions/${executionId}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('succeeded');
    expect(h.executions.items.get(executionId)).toMatchObject({ status: 'succeeded' });
  });

  it('cancel answers 409, never 5xx, when every fresh try loses too', async () => {
    const { h, executionId } = await triggered();
    h.executions.beforeWrite = (op, id) => {
      if (op !== 'requestCancel') return;
      const current = h.executions.items.get(id)!;
      h.executions.items.set(id, { ...current, rev: current.rev + 1 });
    };
    const res = await h.request('POST', `/v1/executions/${executionId}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
  });

  it('replay answers 409 when another replay came first, and queues the run once', async () => {
    const { h, executionId } = await triggered();
    const stored = h.executions.items.get(executionId)!;
    h.executions.items.set(executionId, {
      ...stored,
      status: 'dead',
      finishedAt: new Date(NOW).toISOString(),
    });
    h.queue.take();
    raceOnce(h, 'replay', (e) => ({ ...e, status: 'queued', rev: e.rev + 1 }));
    const res = await h.request('POST', `/v1/dead-letters/${executionId}/replay`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('queued');
    expect(h.queue.take()).toEqual([]);
  });
});
