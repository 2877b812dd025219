import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, e2eRuntime, OTHER_KEY } from '../support/runtime.js';
import { waitFor } from '../support/sink.js';

describe('job dependencies, end to end', () => {
  const e2e = e2eRuntime({ respond: (call) => ({ status: call.path.startsWith('/fail') ? 500 : 200 }) });
  /** Upstream execution finishedAt → dependent's first attempt startedAt, and the same at the sink. */
  const latency = { recorded: [] as number[], atTarget: [] as number[] };

  afterAll(async () => {
    const stats = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return { n: xs.length, min: sorted[0], median: sorted[Math.floor(xs.length / 2)], max: sorted.at(-1) };
    };
    process.stdout.write(
      `dependency latency (ms): recorded ${JSON.stringify(stats(latency.recorded))}, at target ${JSON.stringify(stats(latency.atTarget))}\n`,
    );
  });

  const createJob = async (body: Record<string, unknown>, key?: string) => {
    const res = await (key ? apiClient(e2e.runtime.url, key) : e2e.api)('POST', '/v1/jobs', {
      retry: { maxAttempts: 1 },
      ...body,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; status: string; nextRunAt: string | null };
  };
  const upstream = (path: string) =>
    createJob({
      schedule: { type: 'cron', expression: '0 0 1 1 *' },
      target: { url: `${e2e.sink.url}${path}`, method: 'POST' },
    });
  const dependent = (path: string, dependsOn: string[], extra: Record<string, unknown> = {}) =>
    createJob({
      schedule: { type: 'dependency' },
      dependsOn,
      target: { url: `${e2e.sink.url}${path}`, method: 'POST' },
      ...extra,
    });
  const executions = async (jobId: string) =>
    (await e2e.api('GET', `/v1/jobs/${jobId}/executions`)).body.items;
  const callsTo = (path: string) => e2e.sink.calls.filter((c) => c.path === path);

  it('runs A → B → C in order, each after the one before succeeded', async () => {
    const a = await upstream('/chain/a');
    const b = await dependent('/chain/b', [a.id]);
    const c = await dependent('/chain/c', [b.id]);
    expect(b).toMatchObject({ status: 'active', nextRunAt: null });

    for (let round = 1; round <= 5; round++) {
      const trigger = await e2e.api('POST', `/v1/jobs/${a.id}/trigger`);
      expect(trigger.status).toBe(202);
      await waitFor(() => callsTo('/chain/c').length === round, 5000, `C's call of round ${round}`);
    }
    const [aCalls, bCalls, cCalls] = [callsTo('/chain/a'), callsTo('/chain/b'), callsTo('/chain/c')];
    expect([aCalls.length, bCalls.length, cCalls.length]).toEqual([5, 5, 5]);
    for (let i = 0; i < 5; i++) {
      expect(aCalls[i]!.at).toBeLessThanOrEqual(bCalls[i]!.at);
      expect(bCalls[i]!.at).toBeLessThanOrEqual(cCalls[i]!.at);
    }

    const runs = await waitFor(
      async () => {
        const all = await Promise.all([a, b, c].map((job) => executions(job.id)));
        return all.every(
          (items) => items.length === 5 && items.every((e: { status: string }) => e.status === 'succeeded'),
        )
          ? all
          : undefined;
      },
      5000,
      'every run recorded succeeded',
    );
    const [aRuns, bRuns, cRuns] = runs.map((items) => [...items].reverse());
    expect(bRuns!.every((e: { trigger: string }) => e.trigger === 'dependency')).toBe(true);
    expect(cRuns!.every((e: { trigger: string }) => e.trigger === 'dependency')).toBe(true);
    for (let i = 0; i < 5; i++) {
      for (const [up, down, downCalls, upCalls] of [
        [aRuns![i], bRuns![i], bCalls, aCalls],
        [bRuns![i], cRuns![i], cCalls, bCalls],
      ] as const) {
        const upFinished = Date.parse(up.finishedAt);
        expect(Date.parse(down.attempts[0].startedAt)).toBeGreaterThanOrEqual(upFinished);
        latency.recorded.push(Date.parse(down.attempts[0].startedAt) - upFinished);
        latency.atTarget.push(downCalls[i]!.at - upCalls[i]!.at);
      }
    }
    // Generous for a loaded CI machine; the report prints the figures (typically ~100–300 ms).
    expect(Math.max(...latency.recorded)).toBeLessThan(2000);
  });

  it('runs a job after all of its upstreams, once per round', async () => {
    const [x, y] = [await upstream('/join/x'), await upstream('/join/y')];
    const joined = await dependent('/join/z', [x.id, y.id]);
    await e2e.api('POST', `/v1/jobs/${x.id}/trigger`);
    await waitFor(() => callsTo('/join/x').length === 1, 3000, 'x');
    await new Promise((r) => setTimeout(r, 300));
    expect(callsTo('/join/z')).toHaveLength(0);
    await e2e.api('POST', `/v1/jobs/${y.id}/trigger`);
    await waitFor(() => callsTo('/join/z').length === 1, 3000, 'z after both');
    // Both again, at once: one more run.
    await Promise.all([
      e2e.api('POST', `/v1/jobs/${x.id}/trigger`),
      e2e.api('POST', `/v1/jobs/${y.id}/trigger`),
    ]);
    await waitFor(() => callsTo('/join/z').length === 2, 3000, 'z after both again');
    await new Promise((r) => setTimeout(r, 300));
    expect(callsTo('/join/z')).toHaveLength(2);
    expect(await executions(joined.id)).toHaveLength(2);
  });

  it('skips the dependent of a failing upstream under "skip" and runs it under "run"', async () => {
    const failing = await upstream('/fail/a');
    const skipper = await dependent('/skip/b', [failing.id]);
    const runner = await dependent('/run/b', [failing.id], { onDependencyFailure: 'run' });
    const run = await e2e.api('POST', `/v1/jobs/${failing.id}/trigger`);
    await waitFor(() => callsTo('/run/b').length === 1, 5000, 'the "run" dependent');
    const [skipped] = await waitFor(
      async () => {
        const items = await executions(skipper.id);
        return items.length === 1 ? items : undefined;
      },
      3000,
      'the skipped run',
    );
    expect(skipped).toMatchObject({
      trigger: 'dependency',
      status: 'skipped',
      reason: `dependency: upstream ${failing.id} run ${run.body.executionId} ended failed`,
    });
    expect(callsTo('/skip/b')).toHaveLength(0);
    const [ran] = await executions(runner.id);
    expect(ran).toMatchObject({ trigger: 'dependency' });
  });

  it('refuses a PATCH that would close a cycle, naming it', async () => {
    const a = await upstream('/cycle/a');
    const b = await dependent('/cycle/b', [a.id]);
    const c = await dependent('/cycle/c', [b.id]);
    const res = await e2e.api('PATCH', `/v1/jobs/${a.id}`, { dependsOn: [c.id] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.message).toBe(`dependency cycle: ${a.id} → ${c.id} → ${b.id} → ${a.id}`);
    expect((await e2e.api('GET', `/v1/jobs/${a.id}`)).body.dependsOn).toEqual([]);
    const self = await e2e.api('PATCH', `/v1/jobs/${b.id}`, { dependsOn: [b.id] });
    expect(self.status).toBe(400);
    expect(self.body.error.message).toBe(`dependency cycle: ${b.id} → ${b.id}`);
  });

  it('follows a PATCH of dependsOn: the new upstream triggers, the old one no longer does', async () => {
    const [oldUp, newUp] = [await upstream('/rewire/old'), await upstream('/rewire/new')];
    const down = await dependent('/rewire/down', [oldUp.id]);
    const patched = await e2e.api('PATCH', `/v1/jobs/${down.id}`, { dependsOn: [newUp.id] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await e2e.api('POST', `/v1/jobs/${oldUp.id}/trigger`);
    await waitFor(() => callsTo('/rewire/old').length === 1, 3000, 'the old upstream');
    await e2e.api('POST', `/v1/jobs/${newUp.id}/trigger`);
    await waitFor(() => callsTo('/rewire/down').length === 1, 3000, 'the dependent after the new upstream');
    await new Promise((r) => setTimeout(r, 300));
    expect(callsTo('/rewire/down')).toHaveLength(1);
  });

  it('refuses a missing upstream and another tenant’s job with a 400 naming the field', async () => {
    const theirs = await createJob(
      { schedule: { type: 'cron', expression: '0 0 1 1 *' }, target: { url: `${e2e.sink.url}/theirs` } },
      OTHER_KEY,
    );
    const res = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'dependency' },
      dependsOn: ['job_01J0000000000000000000000Z', theirs.id],
      target: { url: `${e2e.sink.url}/never` },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details).toEqual([
      { path: 'dependsOn[0]', message: 'job job_01J0000000000000000000000Z not found' },
      { path: 'dependsOn[1]', message: `job ${theirs.id} not found` },
    ]);
    const empty = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'dependency' },
      target: { url: `${e2e.sink.url}/never` },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details).toEqual([
      { path: 'dependsOn', message: 'must name at least one job when schedule.type is "dependency"' },
    ]);
  });
});
