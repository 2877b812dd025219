import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { e2eRuntime } from '../support/runtime.js';
import { waitFor } from '../support/sink.js';

/** A whole second at least `aheadMs` from now (runs are due on whole seconds). */
function secondAfter(aheadMs: number): number {
  return Math.ceil((Date.now() + aheadMs) / 1000) * 1000;
}

type World = ReturnType<typeof e2eRuntime>;

async function onceJob(world: World, path: string, at: number) {
  const created = await world.api('POST', '/v1/jobs', {
    schedule: { type: 'once', at: new Date(at).toISOString() },
    target: { url: `${world.sink.url}${path}` },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function runsOf(world: World, jobId: string): Promise<{ executionId: string; status: string }[]> {
  return (await world.api('GET', `/v1/jobs/${jobId}/executions`)).body.items;
}

/** Run messages on the normal queue: still delayed, and received (held by the executor). */
async function normalQueue(world: World): Promise<{ delayed: number; held: number }> {
  const { queues } = world.runtime;
  const out = await queues.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queues.urls.normal,
      AttributeNames: ['ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    delayed: Number(out.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0),
    held: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Waits until the executor holds the run's message (handed over early), seconds before `due`. */
async function handedOver(world: World, due: number): Promise<void> {
  await waitFor(async () => (await normalQueue(world)).held >= 1, 4000, 'the hand-over');
  expect(due - Date.now()).toBeGreaterThan(1000); // with the lead (5 s by default) to spare
}

describe('npm start hands scheduled runs to the executor ahead of their time and calls them at it', () => {
  const world = e2eRuntime();
  const callsTo = (path: string) => world.sink.calls.filter((c) => c.path === path);

  it('holds a run seconds before it is due, unclaimed, and calls it at its time', async () => {
    const due = secondAfter(5000);
    const jobId = await onceJob(world, '/ahead', due);
    await handedOver(world, due);
    expect(await normalQueue(world)).toMatchObject({ delayed: 0 });
    expect(await runsOf(world, jobId)).toEqual([]); // claimed only at its time
    const [call] = await waitFor(
      () => callsTo('/ahead').length > 0 && callsTo('/ahead'),
      due - Date.now() + 3000,
    );
    expect(call!.at).toBeGreaterThanOrEqual(due);
    expect(call!.at - due).toBeLessThan(1000);
  });

  it('does not call a run handed over ahead whose job was paused before its time, and leaves no record of it', async () => {
    const due = secondAfter(5000);
    const jobId = await onceJob(world, '/paused', due);
    await handedOver(world, due);
    expect((await world.api('POST', `/v1/jobs/${jobId}/pause`)).status).toBe(200);
    // The pause wakes the run, which is dropped at once: its message leaves the queue before its time.
    await waitFor(async () => (await normalQueue(world)).held === 0, 2000, 'the run dropped');
    expect(Date.now()).toBeLessThan(due);
    await new Promise((r) => setTimeout(r, due - Date.now() + 1000)); // real time: past the run's instant
    expect(callsTo('/paused')).toHaveLength(0);
    expect(await runsOf(world, jobId)).toEqual([]);
  });

  it('does not call a run handed over ahead whose cancel came before its time', async () => {
    const due = secondAfter(5000);
    const jobId = await onceJob(world, '/cancelled', due);
    await handedOver(world, due);
    const executionId = `${jobId}:${new Date(due).toISOString()}`;
    const cancel = await world.api('POST', `/v1/executions/${encodeURIComponent(executionId)}/cancel`);
    expect(cancel.status).toBe(200);
    await new Promise((r) => setTimeout(r, due - Date.now() + 1000)); // real time: past the run's instant
    expect(callsTo('/cancelled')).toHaveLength(0);
    expect((await runsOf(world, jobId)).map((r) => r.status)).toEqual(['cancelled']);
  });
});

describe('a run waiting for its time holds no place of the executor', () => {
  // One place: the runs claimed ahead must not hold it while they wait, or they go one after another.
  const world = e2eRuntime({
    runtime: { maxInFlight: 1 },
    respond: () => ({ status: 200, delayMs: 1500 }),
  });

  it('calls three runs due at one second together, with one place', async () => {
    const due = secondAfter(5000);
    for (const i of [1, 2, 3]) await onceJob(world, `/together/${i}`, due);
    const calls = () => world.sink.calls.filter((c) => c.path.startsWith('/together/'));
    await waitFor(() => calls().length === 3, due - Date.now() + 4000, 'three calls');
    for (const call of calls()) expect(call.at - due).toBeLessThan(1000);
  });
});
