import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTour, type TourResult } from '../../scripts/openapi-tour.js';
import { type SchedulerProcess, startSchedulerProcess } from '../support/process.js';
import { tempDataDir } from '../support/runtime.js';
import { type Sink, startSink } from '../support/sink.js';

/**
 * The README's tour through a client generated from the OpenAPI document (openapi-typescript types,
 * openapi-fetch), against `npm start`'s entry point as a user runs it, with its default key.
 */
describe('the README tour with openapi-fetch against npm start', () => {
  const data = tempDataDir();
  let scheduler: SchedulerProcess;
  /** The local "function" behind the tour's Lambda target. */
  let sendReport: Sink;
  const lines: string[] = [];
  let tour: TourResult;

  beforeAll(async () => {
    sendReport = await startSink();
    sendReport.respond(() => ({ status: 200, body: '{"sent":true}' }));
    scheduler = await startSchedulerProcess({
      SCHEDULER_DATA_DIR: data.dir,
      SCHEDULER_LOCAL_FUNCTIONS: `send-report=${sendReport.url}/`,
    });
    tour = await runTour({
      baseUrl: scheduler.url,
      apiKey: 'dev-key',
      onceDelaySeconds: 2,
      waitMs: 20_000,
      lambdaFunction: 'send-report',
      log: (line) => lines.push(line),
    });
    process.stdout.write(`openapi-fetch tour against ${scheduler.url}:\n${lines.join('\n')}\n`);
  }, 90_000);

  afterAll(async () => {
    if (scheduler) {
      scheduler.child.kill('SIGTERM');
      await scheduler.exited;
    }
    await sendReport?.close();
    data.remove();
  });

  it('names the API reference and the document in the start-up banner', () => {
    expect(scheduler.output()).toContain(
      `api reference: ${scheduler.url}/docs   (OpenAPI 3.1: ${scheduler.url}/v1/openapi.json)`,
    );
  });

  it('previews the DST night as the README shows', () => {
    expect(tour.preview).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('creates a one-time job from the smallest body, and it runs', () => {
    expect(tour.hello.execution).toMatchObject({
      jobId: tour.hello.jobId,
      status: 'succeeded',
      trigger: 'schedule',
    });
    expect(tour.hello.execution.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200 })]);
    expect(tour.listed.map((job) => job.name).sort()).toEqual(['hello', 'weekday-report']);
  });

  it('triggers, changes under If-Match, pauses and resumes the weekday report', () => {
    const { before, patched, paused, resumed, triggered } = tour.report;
    expect(before).toMatchObject({
      status: 'active',
      version: 1,
      target: { method: 'GET', headers: {} },
      timeoutSeconds: 30,
    });
    expect(triggered).toMatchObject({ jobId: before.id, trigger: 'manual', status: 'succeeded' });
    expect(patched.schedule).toEqual({
      type: 'cron',
      expression: '0 7 * * 1-5',
      timezone: 'America/New_York',
    });
    expect(patched.version).toBe(2);
    expect([paused.status, resumed.status]).toEqual(['paused', 'active']);
  });

  it('dead-letters a target that is down, and replays it once the target is fixed', () => {
    const { dead, replayed, cancelled } = tour.sync;
    expect(dead.status).toBe('dead');
    expect(dead.attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
    expect(replayed.executionId).toBe(dead.executionId);
    expect(replayed.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(cancelled).toMatchObject({ status: 'cancelled', nextRunAt: null });
  });

  it('invokes a Lambda target with the run’s context in its payload, and records its answer', () => {
    expect(tour.lambda?.status).toBe('succeeded');
    expect(tour.lambda?.attempts.at(-1)?.response).toMatchObject({ payload: '{"sent":true}' });
    expect(sendReport.calls).toHaveLength(1);
    expect(JSON.parse(sendReport.calls[0]!.body)).toEqual({ day: tour.lambda?.scheduledAt });
  });

  it('gets typed errors, and the document lists the server that answered first', () => {
    expect(tour.notFound).toEqual({ status: 404, code: 'not_found' });
    expect(tour.servedFirst).toBe(scheduler.url);
    expect(lines.flatMap((line) => /^(\d)\. /.exec(line)?.[1] ?? [])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
    ]);
  });
});
