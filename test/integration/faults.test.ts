import type { SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../lambdas/core/ports/http-caller.js';
import { processRunBatch } from '../../lambdas/executor/batch.js';
import { LeaseHeld } from '../../lambdas/services/executor/claims.js';
import { ExecutorService } from '../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../lambdas/services/jobs/job-service.js';
import { WatcherService } from '../../lambdas/services/watcher/watcher-service.js';
import type { RunMessage } from '../../schemas/messages.js';
import { jobBody } from '../support/scheduler.js';
import { fakeDeps, silentLogger } from '../support/services.js';

/**
 * Fault injection: each case injects one fault and asserts, at the target, no lost run and no
 * duplicate completion (the target called twice for one execution id only when an attempt failed
 * or a lease expired in between — the execution's attempts show it).
 */
const NOW = Date.parse('2026-05-01T12:00:00.000Z');
/** The run queues' visibility timeout (lib/constructs/queues.ts): when SQS hands an undeleted message out again. */
const RUN_QUEUE_VISIBILITY_SECONDS = 960;

function world(options: { queueAheadSeconds?: number } = {}) {
  const f = fakeDeps(NOW);
  if (options.queueAheadSeconds) f.deps.settings.queueAheadSeconds = options.queueAheadSeconds;
  const jobs = new JobService(f.deps);
  const watch = new WatcherService(f.deps);
  const executors = [new ExecutorService(f.deps, 'exec-a'), new ExecutorService(f.deps, 'exec-b')];
  /** Delivers every queued message once (in send order) to alternating executors; returns how many. */
  const deliverAll = async (copies = 1) => {
    let delivered = 0;
    for (let round = 0; round < 20; round++) {
      const batch = f.queue.take();
      if (batch.length === 0) break;
      for (const run of batch) {
        for (let c = 0; c < copies; c++) {
          await executors[(delivered + c) % 2]!.handle(run.message).catch(() => 'failed-delivery');
        }
        delivered++;
      }
    }
    return delivered;
  };
  /** Delivers every queued message `copies` times when it is due (the clock moves to it), as SQS's delay would. */
  const deliverWhenDue = async (copies = 1) => {
    const due = f.queue.take().sort((a, b) => (a.message.scheduledAt < b.message.scheduledAt ? -1 : 1));
    for (const [i, run] of due.entries()) {
      f.clock.current = Math.max(f.clock.current, Date.parse(run.message.scheduledAt));
      for (let c = 0; c < copies; c++) {
        await executors[(i + c) % 2]!.handle(run.message).catch(() => 'failed-delivery');
      }
    }
  };
  return { ...f, store: () => f.jobs, service: jobs, watch, executors, deliverAll, deliverWhenDue };
}

type World = ReturnType<typeof world>;

function callsByKey(requests: HttpRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const key = r.headers['idempotency-key']!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

interface FaultRow {
  expected: number;
  completed: number;
  lost: number;
  duplicateCompletions: number;
  /** Calls at the target; above `expected` only where an attempt failed or a lease expired first. */
  targetCalls: number;
  retriedCalls: number;
}
const tally = new Map<string, FaultRow>();
afterAll(() => {
  const lines = [...tally].map(
    ([name, r]) => `${name.replace(/^fault injection > /, '')}: ${JSON.stringify(r)}`,
  );
  process.stdout.write(`fault injection, per fault:\n  ${lines.join('\n  ')}\n`);
});

/** 0 lost, 0 duplicate completions: each expected run succeeded once; extra calls are explained by failed attempts. */
async function assertExactlyOnce(w: World, expectedIds: string[]) {
  const counts = callsByKey(w.http.requests);
  // Tally first (the table printed after the suite), then assert.
  const row = tally.get(expect.getState().currentTestName ?? '?') ?? {
    expected: 0,
    completed: 0,
    lost: 0,
    duplicateCompletions: 0,
    targetCalls: 0,
    retriedCalls: 0,
  };
  for (const id of expectedIds) {
    const execution = await w.executions.getExecution(id);
    const completions = execution?.attempts.filter((a) => a.status === 'succeeded').length ?? 0;
    row.expected++;
    row.completed += completions > 0 ? 1 : 0;
    row.lost += completions === 0 ? 1 : 0;
    row.duplicateCompletions += Math.max(0, completions - 1);
    row.targetCalls += counts.get(id) ?? 0;
    row.retriedCalls += Math.max(0, (counts.get(id) ?? 0) - 1);
  }
  tally.set(expect.getState().currentTestName ?? '?', row);
  for (const id of expectedIds) {
    const execution = await w.executions.getExecution(id);
    expect(execution?.status, `execution ${id}`).toBe('succeeded');
    const succeeded = execution!.attempts.filter((a) => a.status === 'succeeded');
    expect(succeeded, `completions of ${id}`).toHaveLength(1);
    const failedBefore = execution!.attempts.length - 1;
    expect(counts.get(id) ?? 0, `calls for ${id}`).toBeLessThanOrEqual(1 + failedBefore);
    expect(counts.get(id) ?? 0, `calls for ${id}`).toBeGreaterThanOrEqual(1);
  }
  expect([...counts.keys()].sort()).toEqual([...expectedIds].sort());
}

/** A rate job beyond the create-time look-ahead, so only the watcher sends its runs. */
async function rateJob(w: World, startAt = '2026-05-01T12:05:00.000Z') {
  return w.service.createJob('t', jobBody({ schedule: { type: 'rate', everySeconds: 60, startAt } }));
}

describe('fault injection', () => {
  it('duplicate SQS deliveries of the same message', async () => {
    const w = world();
    const job = await w.service.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' } }),
    );
    const [run] = w.queue.take();
    const settled = await Promise.allSettled([1, 2, 3].map((i) => w.executors[i % 2]!.handle(run!.message)));
    const outcomes = settled.map((o) => (o.status === 'fulfilled' ? o.value : o.reason.name));
    outcomes.push(await w.executors[0]!.handle(run!.message));
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    // A copy that came while the lease held was handed back (LeaseHeld), one after it dropped.
    expect(outcomes.every((o) => ['succeeded', 'dropped', 'LeaseHeld'].includes(o))).toBe(true);
    await assertExactlyOnce(w, [`${job.jobId}:2026-05-01T12:00:01.000Z`]);
  });

  it('the watcher crashing between send and advance', async () => {
    const w = world();
    const job = await rateJob(w);
    w.clock.current = Date.parse('2026-05-01T12:04:30.000Z');
    expect(w.queue.sent).toEqual([]);
    w.store().beforeWrite = (op) => {
      if (op === 'advanceJob') throw new Error('watcher crashed');
    };
    await w.watch.watchShard(job.shard);
    w.store().beforeWrite = () => {};
    await w.watch.watchShard(job.shard); // the next tick sends the same runs again, then advances
    await w.deliverAll();
    await assertExactlyOnce(w, [
      `${job.jobId}:2026-05-01T12:05:00.000Z`,
      `${job.jobId}:2026-05-01T12:06:00.000Z`,
    ]);
  });

  it('the watcher crashing between send and advance with queue-ahead', async () => {
    const w = world({ queueAheadSeconds: 900 });
    const job = await rateJob(w);
    w.clock.current = Date.parse('2026-05-01T12:04:30.000Z');
    w.store().beforeWrite = (op) => {
      if (op === 'advanceJob') throw new Error('watcher crashed');
    };
    await w.watch.watchShard(job.shard); // 12:05 … 12:19 sent, not advanced
    w.store().beforeWrite = () => {};
    w.clock.current = Date.parse('2026-05-01T12:05:30.000Z');
    await w.watch.watchShard(job.shard); // the same runs again, 12:20 too, then advanced
    await w.deliverWhenDue();
    w.clock.current = Date.parse('2026-05-01T12:20:30.000Z');
    await w.watch.watchShard(job.shard); // the next top-up: 12:21 …
    await w.deliverWhenDue();
    const minutes = Array.from(
      { length: 31 },
      (_, i) => new Date(Date.parse('2026-05-01T12:05:00.000Z') + i * 60_000),
    );
    await assertExactlyOnce(
      w,
      minutes.map((at) => `${job.jobId}:${at.toISOString()}`),
    );
    expect((await w.store().getJob(job.jobId))?.nextRunAt).toBe('2026-05-01T12:36:00.000Z');
  });

  it('two watcher invocations of one shard overlapping with queue-ahead', async () => {
    const w = world({ queueAheadSeconds: 900 });
    const jobs = await Promise.all([rateJob(w), rateJob(w), rateJob(w)]);
    w.clock.current = Date.parse('2026-05-01T12:04:30.000Z');
    const shards = [...new Set(jobs.map((j) => j.shard))];
    await Promise.all(shards.flatMap((s) => [w.watch.watchShard(s), w.watch.watchShard(s)]));
    await w.deliverWhenDue(2);
    const minutes = Array.from(
      { length: 15 },
      (_, i) => new Date(Date.parse('2026-05-01T12:05:00.000Z') + i * 60_000),
    );
    await assertExactlyOnce(
      w,
      jobs.flatMap((j) => minutes.map((at) => `${j.jobId}:${at.toISOString()}`)),
    );
    for (const j of jobs)
      expect((await w.store().getJob(j.jobId))?.nextRunAt).toBe('2026-05-01T12:20:00.000Z');
  });

  it('two watcher invocations of one shard overlapping', async () => {
    const w = world();
    const jobs = await Promise.all([rateJob(w), rateJob(w), rateJob(w)]);
    w.clock.current = Date.parse('2026-05-01T12:04:30.000Z');
    expect(w.queue.sent).toEqual([]);
    const shards = [...new Set(jobs.map((j) => j.shard))];
    await Promise.all(shards.flatMap((s) => [w.watch.watchShard(s), w.watch.watchShard(s)]));
    await w.deliverAll();
    const expected = jobs.flatMap((j) => [
      `${j.jobId}:2026-05-01T12:05:00.000Z`,
      `${j.jobId}:2026-05-01T12:06:00.000Z`,
    ]);
    await assertExactlyOnce(w, expected);
    for (const j of jobs)
      expect((await w.store().getJob(j.jobId))?.nextRunAt).toBe('2026-05-01T12:07:00.000Z');
  });

  it('the executor killed mid-call (its message comes back after the lease, another executor retries)', async () => {
    const w = world();
    await w.service.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' }, timeoutSeconds: 10 }),
    );
    const [run] = w.queue.take();
    w.http.answer = () => new Promise(() => {}); // the call never returns: the process "died"
    void w.executors[0]!.handle(run!.message);
    await new Promise((r) => setImmediate(r));
    const running = await w.executions.getExecution(run!.message.executionId);
    expect(running?.status).toBe('running');
    w.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    // A redelivery while the lease holds is handed back until the lease ends, not dropped.
    await expect(w.executors[1]!.handle(run!.message)).rejects.toBeInstanceOf(LeaseHeld);
    // The message itself comes back when the lease ends: the lost attempt is recorded, a retry sent.
    w.clock.current = running!.lease!.until + 1;
    expect(await w.executors[1]!.handle(run!.message)).toBe('dropped');
    await w.deliverAll();
    await assertExactlyOnce(w, [run!.message.executionId]);
    const done = await w.executions.getExecution(run!.message.executionId);
    expect(done?.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(done?.attempts[0]?.error).toMatch(/lease expired/);
  });

  it('the store throttling the claim write', async () => {
    const w = world();
    const job = await w.service.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' } }),
    );
    const [run] = w.queue.take();
    let throttles = 2;
    w.executions.beforeWrite = (op) => {
      if (op === 'createExecution' && throttles-- > 0) {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      }
    };
    await expect(w.executors[0]!.handle(run!.message)).rejects.toThrow('Rate exceeded');
    await expect(w.executors[1]!.handle(run!.message)).rejects.toThrow('Rate exceeded');
    expect(await w.executors[0]!.handle(run!.message)).toBe('succeeded'); // SQS redelivered it
    await assertExactlyOnce(w, [`${job.jobId}:2026-05-01T12:00:01.000Z`]);
  });

  it('the store failing the result write after the call (lease expiry recovers it)', async () => {
    const w = world();
    await w.service.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' }, timeoutSeconds: 5 }),
    );
    const [run] = w.queue.take();
    let failures = 1;
    w.executions.beforeWrite = (op) => {
      if (op === 'recordOutcome' && failures-- > 0) throw new Error('InternalServerError');
    };
    await expect(w.executors[0]!.handle(run!.message)).rejects.toThrow('InternalServerError');
    const stuck = await w.executions.getExecution(run!.message.executionId);
    expect(stuck?.status).toBe('running');
    // SQS redelivers at once: the lease still holds, so it is handed back rather than run twice.
    await expect(w.executors[1]!.handle(run!.message)).rejects.toBeInstanceOf(LeaseHeld);
    // It comes back when the lease ends: the lost attempt is recorded and retried.
    w.clock.current = stuck!.lease!.until + 1;
    expect(await w.executors[1]!.handle(run!.message)).toBe('dropped');
    await w.deliverAll();
    await assertExactlyOnce(w, [run!.message.executionId]);
  });

  it('the executor dying right after its claim (no result; the message returns at the queue visibility timeout)', async () => {
    const w = world();
    const job = await w.service.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' }, timeoutSeconds: 10 }),
    );
    const [run] = w.queue.take();
    // The process dies between the claim and the call: the claim is written, nothing else.
    w.http.answer = () => new Promise(() => {});
    void w.executors[0]!.handle(run!.message);
    await new Promise((r) => setImmediate(r));
    const claimed = await w.executions.getExecution(run!.message.executionId);
    expect(claimed).toMatchObject({ status: 'running', attempts: [] });
    // The claim is on no index: the message alone brings the run back.
    expect(claimed?.pending).toBeUndefined();
    expect(await w.watch.reapPending(job.shard, NOW + 3_600_000)).toBe(0);
    w.http.answer = () => ({ kind: 'response', statusCode: 200, body: '', durationMs: 1 });
    w.clock.advance(RUN_QUEUE_VISIBILITY_SECONDS * 1000);
    expect(await w.executors[1]!.handle(run!.message)).toBe('dropped');
    await w.deliverAll();
    await assertExactlyOnce(w, [run!.message.executionId]);
  });

  it('the result written but the message not deleted (a redelivery after the run ended)', async () => {
    const w = world();
    await w.service.createJob('t', jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' } }));
    const [run] = w.queue.take();
    expect(await w.executors[0]!.handle(run!.message)).toBe('succeeded');
    // The delete was lost: SQS delivers the message again after its visibility timeout.
    w.clock.advance(RUN_QUEUE_VISIBILITY_SECONDS * 1000);
    expect(await w.executors[1]!.handle(run!.message)).toBe('dropped');
    await w.deliverAll();
    await assertExactlyOnce(w, [run!.message.executionId]);
  });

  it('the run queue refusing a send during a watcher tick', async () => {
    const w = world();
    const job = await rateJob(w);
    w.clock.current = Date.parse('2026-05-01T12:04:30.000Z');
    expect(w.queue.sent).toEqual([]);
    w.queue.failNext = 1;
    await w.watch.watchShard(job.shard); // send fails: the job must not advance
    expect((await w.store().getJob(job.jobId))?.nextRunAt).toBe('2026-05-01T12:05:00.000Z');
    await w.watch.watchShard(job.shard);
    await w.deliverAll();
    await assertExactlyOnce(w, [
      `${job.jobId}:2026-05-01T12:05:00.000Z`,
      `${job.jobId}:2026-05-01T12:06:00.000Z`,
    ]);
  });

  it('the target hanging past its timeout', async () => {
    const w = world();
    const job = await w.service.createJob(
      't',
      jobBody({
        schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' },
        timeoutSeconds: 2,
        retry: { maxAttempts: 3, jitter: 'none' },
      }),
    );
    let hangs = 1;
    w.http.answer = (request) => {
      if (hangs-- > 0) {
        expect(request.timeoutMs).toBe(2000);
        return {
          kind: 'error',
          error: 'timed out after 2000 ms',
          timedOut: true,
          aborted: false,
          durationMs: 2000,
        };
      }
      return { kind: 'response', statusCode: 200, body: '', durationMs: 3 };
    };
    await w.deliverAll();
    await assertExactlyOnce(w, [`${job.jobId}:2026-05-01T12:00:01.000Z`]);
    const done = await w.executions.getExecution(`${job.jobId}:2026-05-01T12:00:01.000Z`);
    expect(done?.attempts.map((a) => a.status)).toEqual(['timed_out', 'succeeded']);
  });

  it('a message that fails to parse (reported for the DLQ and counted, the rest of the batch runs)', async () => {
    const w = world();
    const job = await w.service.createJob(
      't',
      jobBody({ schedule: { type: 'once', at: '2026-05-01T12:00:01.000Z' } }),
    );
    const [run] = w.queue.take();
    const record = (id: string, text: string) =>
      ({ messageId: id, body: text }) as SQSEvent['Records'][number];
    const counted: string[] = [];
    const response = await processRunBatch(
      {
        Records: [
          record('bad-json', '{not json'),
          record('bad-shape', JSON.stringify({ v: 1, executionId: 'x' } satisfies Partial<RunMessage>)),
          record('good', JSON.stringify(run!.message)),
        ],
      },
      w.executors[0]!,
      silentLogger,
      (outcome) => counted.push(outcome),
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['bad-json', 'bad-shape']);
    expect(counted.filter((c) => c === 'unparseable')).toHaveLength(2);
    await assertExactlyOnce(w, [`${job.jobId}:2026-05-01T12:00:01.000Z`]);
  });
});
