import { expect, vi } from 'vitest';
import { verifySignature } from '../../lambdas/core/signing.js';
import { aFinishedExecution } from './history-fixtures.js';
import { IAM_CALLER, type LambdaHarness } from './lambda-harness.js';
import { ttlRemoval } from './stream-records.js';

/**
 * What the five handlers do in AWS, step by step on one harness (shared state, in order): each
 * step drives real handlers and asserts what a user would see. test/unit/lambda-handlers.test.ts
 * runs them as its tests; test/infra/least-privilege.test.ts runs them to record every command
 * each function sends, so a path that sends a command must be walked here.
 */
export interface HandlerScenario {
  name: string;
  run(h: LambdaHarness, state: ScenarioState): Promise<void>;
}

export interface ScenarioState {
  jobId?: string;
  failingJobId?: string;
  asyncJobId?: string;
  asyncExecutionId?: string;
  asyncToken?: string;
  cronJobId?: string;
}

const HOUR = 3_600_000;

const job = (sinkUrl: string, extra: Record<string, unknown> = {}) => ({
  name: 'scenario',
  schedule: { type: 'cron', expression: '0 0 1 1 *', timezone: 'UTC' },
  target: { url: `${sinkUrl}/target`, method: 'POST', body: '{"hello":1}' },
  notifications: [{ on: ['succeeded', 'failed', 'dead', 'missed'], webhook: `${sinkUrl}/hook` }],
  ...extra,
});

/** The runs waiting in the run queues, handed to the executor until none is left (retries included). */
async function drainRuns(h: LambdaHarness, waitSeconds = 0): Promise<number> {
  let handled = 0;
  for (let round = 0; round < 10; round++) {
    const records = await h.receiveRuns(undefined, round === 0 ? waitSeconds : 0);
    if (records.length === 0) break;
    await h.execute(records);
    handled += records.length;
  }
  return handled;
}

async function drainNotifications(h: LambdaHarness): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const records = await h.receiveNotifications();
    if (records.length === 0) break;
    await h.notify(records);
  }
}

export const HANDLER_SCENARIOS: HandlerScenario[] = [
  {
    name: 'api: /healthz checks the stores and queues once for many probes',
    async run(h) {
      expect((await h.api('GET', '/healthz')).status).toBe(200);
      expect(h.lastCalls.length).toBeGreaterThan(0);
      expect((await h.api('GET', '/healthz')).status).toBe(200);
      expect(h.lastCalls).toEqual([]);
    },
  },
  {
    name: 'api: creates, lists, reads and changes a job; an Idempotency-Key replays the first answer',
    async run(h, state) {
      const body = job(h.sink.url);
      const created = await h.api('POST', '/v1/jobs', body, { 'idempotency-key': 'create-1' });
      expect(created.status).toBe(201);
      state.jobId = created.body.id;
      const replayed = await h.api('POST', '/v1/jobs', body, { 'idempotency-key': 'create-1' });
      expect(replayed.body.id).toBe(state.jobId);
      expect((await h.api('POST', '/v1/jobs', { nope: 1 }, { 'idempotency-key': 'bad-1' })).status).toBe(400);
      expect((await h.api('GET', '/v1/jobs')).body.items.map((j: { id: string }) => j.id)).toContain(
        state.jobId,
      );
      expect((await h.api('GET', `/v1/jobs/${state.jobId}`)).body.name).toBe('scenario');
      expect((await h.api('PATCH', `/v1/jobs/${state.jobId}`, { name: 'renamed' })).body.name).toBe(
        'renamed',
      );
      expect((await h.api('GET', '/v1/openapi.json')).status).toBe(200);
    },
  },
  {
    name: 'api: a store failure answers 503 and frees the Idempotency-Key, so a retry creates the job',
    async run(h) {
      const body = job(h.sink.url, { name: 'retried' });
      h.failNextStoreCall(
        (command) =>
          command.constructor.name === 'PutCommand' &&
          String((command.input.Item as { jobId?: string } | undefined)?.jobId).startsWith('job_'),
      );
      const failed = await h.api('POST', '/v1/jobs', body, { 'idempotency-key': 'flaky-1' });
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(failed.body)).not.toContain('injected');
      const retried = await h.api('POST', '/v1/jobs', body, { 'idempotency-key': 'flaky-1' });
      expect(retried.status).toBe(201);
      await h.api('DELETE', `/v1/jobs/${retried.body.id}`);
    },
  },
  {
    name: 'executor: runs a triggered job, signing the call with the secret read from Secrets Manager',
    async run(h, state) {
      h.sink.respond(() => ({ status: 200 }));
      expect((await h.api('POST', `/v1/jobs/${state.jobId}/trigger`)).status).toBe(202);
      expect(await drainRuns(h)).toBeGreaterThan(0);
      const call = h.sink.calls.find((c) => c.path === '/target');
      expect(call).toBeDefined();
      const signature = String(call?.headers['x-scheduler-signature']);
      const now = Math.floor(Date.now() / 1000);
      expect(verifySignature(signature, call?.body ?? '', [h.secret.value], now)).toBe(true);
      const runs = await h.api('GET', `/v1/jobs/${state.jobId}/executions`);
      expect(runs.body.items[0].status).toBe('succeeded');
    },
  },
  {
    name: 'notifier: delivers the queued webhook, signed; a receiver that fails gets it again later',
    async run(h) {
      h.sink.respond((call) => ({ status: call.path === '/hook' ? 503 : 200 }));
      await drainNotifications(h);
      const hook = h.sink.calls.find((c) => c.path === '/hook');
      expect(hook?.headers['x-scheduler-event']).toBe('succeeded');
      expect(h.lastCalls.map((c) => c.line)).toContain('notifications sqs:ChangeMessageVisibility');
      h.sink.respond(() => ({ status: 200 }));
    },
  },
  {
    name: 'executor: a run it cannot handle is handed back within seconds',
    async run(h) {
      await h.sendRaw('normal', 'not a run message');
      const records = await h.receiveRuns('normal');
      const result = await h.execute(records);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.messageId }]);
      const change = h.lastCalls.find((c) => c.line === 'runQueue:normal sqs:ChangeMessageVisibility');
      expect(change?.input.Entries).toEqual([
        expect.objectContaining({ ReceiptHandle: records[0]?.receiptHandle, VisibilityTimeout: 5 }),
      ]);
    },
  },
  {
    name: 'executor: a failing target is retried, then dead-lettered; the API lists and replays it',
    async run(h, state) {
      h.sink.respond((call) => ({ status: call.path === '/target' ? 500 : 200 }));
      const created = await h.api(
        'POST',
        '/v1/jobs',
        job(h.sink.url, { retry: { maxAttempts: 2, initialDelaySeconds: 0, jitter: 'none' } }),
      );
      state.failingJobId = created.body.id;
      await h.api('POST', `/v1/jobs/${state.failingJobId}/trigger`);
      await drainRuns(h, 1);
      const dead = await h.api('GET', '/v1/dead-letters');
      const letter = dead.body.items.find((e: { jobId: string }) => e.jobId === state.failingJobId);
      expect(letter?.status).toBe('dead');
      h.sink.respond(() => ({ status: 200 }));
      const replay = await h.api('POST', `/v1/dead-letters/${encodeURIComponent(letter.executionId)}/replay`);
      expect(replay.status).toBeLessThan(300);
      await drainRuns(h, 1);
      const again = await h.api('GET', `/v1/executions/${encodeURIComponent(letter.executionId)}`);
      expect(again.body.status).toBe('succeeded');
      await drainNotifications(h);
    },
  },
  {
    name: 'api: an async target completes through its callback, counted as an outcome; a cancel ends a queued run',
    async run(h, state) {
      h.sink.respond((call) =>
        call.path === '/target' ? { status: 202, body: '{"async":true}' } : { status: 200 },
      );
      const created = await h.api(
        'POST',
        '/v1/jobs',
        job(h.sink.url, { concurrency: { max: 1, overlap: 'skip' } }),
      );
      state.asyncJobId = created.body.id;
      const { body } = await h.api('POST', `/v1/jobs/${state.asyncJobId}/trigger`);
      await drainRuns(h);
      const call = h.sink.calls.filter((c) => c.path === '/target').at(-1);
      state.asyncToken = String(call?.headers['x-scheduler-callback-token']);
      state.asyncExecutionId = body.executionId;
      const path = `/v1/executions/${encodeURIComponent(body.executionId)}`;
      const token = { 'x-scheduler-callback-token': state.asyncToken };
      expect((await h.api('POST', `${path}/heartbeat`, {}, token)).status).toBe(200);
      // The API ends this execution, so the API counts its outcome (dashboard, failure-rate alarm).
      const { metrics } = await import('../../lambdas/composition/lambda-context.js');
      const counted = vi.spyOn(metrics, 'addMetric');
      expect((await h.api('POST', `${path}/complete`, { status: 'succeeded' }, token)).status).toBe(200);
      expect(counted).toHaveBeenCalledWith('ExecutionsSucceeded', 'Count', 1);
      counted.mockRestore();
      expect((await h.api('GET', path)).body.status).toBe('succeeded');

      const queued = await h.api('POST', `/v1/jobs/${state.asyncJobId}/trigger`);
      const cancelled = await h.api(
        'POST',
        `/v1/executions/${encodeURIComponent(queued.body.executionId)}/cancel`,
      );
      expect(cancelled.status).toBe(200);
      await drainRuns(h);

      // One more that its target never completes: the watcher reaps it once its lease runs out.
      const silent = await h.api('POST', `/v1/jobs/${state.asyncJobId}/trigger`);
      state.asyncExecutionId = silent.body.executionId;
      await drainRuns(h);
      h.sink.respond(() => ({ status: 200 }));
    },
  },
  {
    name: 'api: history older than the hot window comes from the archive; the archiver writes it',
    async run(h, state) {
      const old = new Date(Date.now() - 200 * 24 * HOUR);
      const day = old.toISOString().slice(0, 10);
      const archived = aFinishedExecution(state.jobId ?? '', `${day}T10:00:00.000Z`, {
        tenant: IAM_CALLER,
      });
      const written = await h.archive({ Records: [ttlRemoval(archived, '1')] });
      expect(written.batchItemFailures).toEqual([]);
      const history = await h.api('GET', `/v1/jobs/${state.jobId}/executions?from=${day}T00:00:00.000Z`);
      expect(history.status).toBe(200);
      const one = await h.api('GET', `/v1/executions/${encodeURIComponent(archived.executionId)}`);
      expect(one.status).toBe(200);
    },
  },
  {
    name: 'api: a cancelled job stops; a dependency runs after its upstream',
    async run(h, state) {
      const downstream = await h.api('POST', '/v1/jobs', job(h.sink.url, { dependsOn: [state.jobId] }));
      expect(downstream.status).toBe(201);
      await h.api('POST', `/v1/jobs/${state.jobId}/trigger`);
      await drainRuns(h);
      await drainRuns(h);
      const runs = await h.api('GET', `/v1/jobs/${downstream.body.id}/executions`);
      expect(runs.body.items[0]?.trigger).toBe('dependency');
      expect((await h.api('DELETE', `/v1/jobs/${downstream.body.id}`)).body.status).toBe('cancelled');
      await drainNotifications(h);
    },
  },
  {
    // Last: it moves the clock two hours on, and no later step may see time go back.
    name: 'watcher: enqueues due runs, records runs missed while it was down, and reaps silent async runs',
    async run(h, state) {
      const start = Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: start });
      try {
        // Due in ten minutes: beyond the look-ahead, so the create hands nothing over.
        const created = await h.api(
          'POST',
          '/v1/jobs',
          job(h.sink.url, { schedule: { type: 'rate', everySeconds: 600 }, misfire: 'skip' }),
        );
        state.cronJobId = created.body.id;
        vi.setSystemTime(start + 9 * 60_000);
        const due = await h.watch(0);
        expect(due.runsEnqueued).toBeGreaterThanOrEqual(1);
        // The job was advanced past the run it handed over: the same tick again finds nothing.
        expect((await h.watch(0)).runsEnqueued).toBe(0);

        // Two hours later: the skip policy records the runs nobody watched for, and the async
        // run whose target went silent is sent again.
        vi.setSystemTime(start + 2 * HOUR);
        const late = await h.watch(0);
        expect(late.skippedRecorded).toBeGreaterThan(0);
        expect(due.reaped + late.reaped).toBeGreaterThan(0);
      } finally {
        vi.useRealTimers();
      }
    },
  },
  {
    // After the watcher: it moves the clock on again, past the day the archiver's staging settles.
    name: 'compactor: compacts a settled day of staging into parts the API still reads',
    async run(h, state) {
      const archived = aFinishedExecution(state.jobId ?? '', '2026-01-05T10:00:00.000Z', {
        tenant: IAM_CALLER,
      });
      expect((await h.archive({ Records: [ttlRemoval(archived, '2')] })).batchItemFailures).toEqual([]);
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3 * 24 * HOUR });
      try {
        const report = await h.compact();
        expect(report.compacted.length).toBeGreaterThan(0);
        expect([...h.bucket.objects.keys()].some((key) => key.startsWith('executions/staging/'))).toBe(false);
        const one = await h.api('GET', `/v1/executions/${encodeURIComponent(archived.executionId)}`);
        expect(one.status).toBe(200);
      } finally {
        vi.useRealTimers();
      }
    },
  },
];
