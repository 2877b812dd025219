import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../lambdas/core/ports/logger.js';
import { NotificationMessage, NotificationPayload } from '../../../schemas/notification.js';
import { MemoryNotificationQueue } from '../../support/memory-notifications.js';
import { jobBody, setup } from '../../support/scheduler.js';
import { silentLogger } from '../../support/services.js';

const TENANT = 'team-a';
const HOOK = 'https://hooks.example.com/scheduler';

/** The shared setup with notifications published to a queue in memory, and a create of nightly jobs. */
function notifying(log: Logger = silentLogger) {
  const notifications = new MemoryNotificationQueue();
  const s = setup({ log, notifications });
  const create = (overrides: Record<string, unknown>) =>
    s.jobService.createJob(
      TENANT,
      jobBody({ name: 'nightly', schedule: { type: 'cron', expression: '0 0 1 1 *' }, ...overrides }),
    );
  const published = () => notifications.take().map((n) => NotificationMessage.parse(n.message));
  return { ...s, notifications, create, published };
}

describe('NotificationService', () => {
  it('announces each failed attempt and the dead end, to every subscribed receiver', async () => {
    const s = notifying();
    const job = await s.create({
      retry: { maxAttempts: 2, initialDelaySeconds: 0, maxDelaySeconds: 0 },
      notifications: [
        { on: ['failed', 'dead', 'succeeded'], webhook: HOOK },
        { on: ['dead'], email: 'team@example.com' },
      ],
    });
    s.http.answer = () => ({ kind: 'response', statusCode: 503, body: '', durationMs: 2 });
    const run = await s.jobService.triggerJob(TENANT, job.jobId);
    await s.drain();
    const messages = s.published();
    expect(messages.map((m) => [m.payload.event, 'webhook' in m.channel ? 'webhook' : 'email'])).toEqual([
      ['failed', 'webhook'],
      ['failed', 'webhook'],
      ['dead', 'webhook'],
      ['dead', 'email'],
    ]);
    expect(messages.map((m) => m.payload.id)).toEqual([
      `${run.executionId}#failed#1`,
      `${run.executionId}#failed#2`,
      `${run.executionId}#dead`,
      `${run.executionId}#dead`,
    ]);
    const dead = messages[2]!;
    expect(dead.tenant).toBe(TENANT);
    expect(dead.payload).toMatchObject({
      event: 'dead',
      job: { id: job.jobId, name: 'nightly' },
      execution: { id: run.executionId, scheduledAt: run.scheduledAt, trigger: 'manual' },
      status: 'dead',
      attempts: 2,
      error: 'HTTP 503',
      links: {
        execution: `/v1/executions/${encodeURIComponent(run.executionId)}`,
        job: `/v1/jobs/${job.jobId}`,
      },
    });
    expect(messages[0]!.payload).toMatchObject({ status: 'failed', attempts: 1, error: 'HTTP 503' });
    expect(NotificationPayload.safeParse(dead.payload).success).toBe(true);
  });

  it('sends nothing for events no subscription names', async () => {
    const s = notifying();
    const job = await s.create({ notifications: [{ on: ['dead'], webhook: HOOK }] });
    await s.jobService.triggerJob(TENANT, job.jobId);
    await s.drain();
    expect(s.published()).toEqual([]);
  });

  it('announces `late` only past the subscription’s threshold', async () => {
    const s = notifying();
    const job = await s.create({
      notifications: [
        { on: ['late'], webhook: HOOK, lateAfterSeconds: 5 },
        { on: ['late'], email: 'ops@example.com' },
      ],
    });
    const run = await s.jobService.triggerJob(TENANT, job.jobId);
    const [message] = s.queue.take();
    s.clock.advance(7000); // picked up 7 s after it was due: past 5 s, not past the default 60 s
    await s.executor.handle(message!.message);
    const late = s.published();
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({
      channel: { webhook: HOOK },
      payload: { event: 'late', id: `${run.executionId}#late`, execution: { lateByMs: 7000 } },
    });
  });

  const missedSetup = async () => {
    const s = notifying();
    const job = await s.create({
      schedule: { type: 'rate', everySeconds: 1 },
      misfire: 'skip',
      notifications: [{ on: ['missed'], email: 'ops@example.com' }],
    });
    s.queue.take(); // the fast path's first runs
    return { s, job, firstMissed: new Date(Date.parse(job.enqueuedThrough!) + 1000).toISOString() };
  };

  it('sums up the runs one watcher tick dropped in a single `missed` notification', async () => {
    const { s, job, firstMissed } = await missedSetup();
    s.clock.advance(4 * 60_000); // down for four minutes: runs older than the 60 s grace are missed
    const report = await s.watcher.watchShard(job.shard);
    expect(report.skippedRecorded).toBe(59);
    const missed = s.published();
    expect(missed).toHaveLength(1);
    expect(missed[0]!.payload).toMatchObject({
      event: 'missed',
      status: 'skipped',
      // The newest dropped run carries the digest.
      execution: { id: `${job.jobId}:2026-05-01T12:02:59.000Z` },
      missed: { count: 59, firstScheduledAt: firstMissed, lastScheduledAt: '2026-05-01T12:02:59.000Z' },
    });
    expect(missed[0]!.payload.error).toMatch(/^missed \(misfire policy skip\)/);
  });

  it('keeps to one notification when a long outage drops more runs than it records', async () => {
    const { s, job, firstMissed } = await missedSetup();
    s.clock.advance(10 * 60_000);
    const report = await s.watcher.watchShard(job.shard);
    expect(report.skippedRecorded).toBe(100);
    const missed = s.published();
    expect(missed).toHaveLength(1);
    const newest = (await s.executions.listByJob(job.jobId, { status: 'skipped' }, 1)).items[0]!;
    expect(missed[0]!.payload.missed).toMatchObject({
      firstScheduledAt: firstMissed,
      lastScheduledAt: newest.scheduledAt,
    });
    expect(missed[0]!.payload.missed!.count).toBeGreaterThan(100);
  });

  it('announces a run the executor found too late on its own', async () => {
    const s = notifying();
    const job = await s.create({
      schedule: { type: 'once', at: '2026-05-01T12:00:30.000Z' },
      misfire: 'skip',
      notifications: [{ on: ['missed'], webhook: HOOK }],
    });
    const [run] = s.queue.take();
    s.clock.advance(5 * 60_000);
    expect(await s.executor.handle(run!.message)).toBe('skipped');
    const [missed] = s.published();
    expect(missed!.payload).toMatchObject({
      event: 'missed',
      execution: { id: `${job.jobId}:2026-05-01T12:00:30.000Z` },
      missed: { count: 1 },
    });
  });

  it('sums up the runs a resume drops in a single `missed` notification', async () => {
    const { s, job } = await missedSetup();
    await s.jobService.pauseJob(TENANT, job.jobId);
    s.clock.advance(2 * 60_000); // paused two minutes: the runs of the first are past the 60 s grace
    await s.jobService.resumeJob(TENANT, job.jobId);
    const skipped = (await s.executions.listByJob(job.jobId, { status: 'skipped' }, 1000)).items;
    expect(skipped.length).toBeGreaterThan(50);
    const missed = s.published();
    expect(missed).toHaveLength(1);
    expect(missed[0]!.payload.missed!.count).toBe(skipped.length);
    expect(missed[0]!.payload.missed!.lastScheduledAt).toBe(
      skipped
        .map((e) => e.scheduledAt)
        .sort((a, b) => (a < b ? -1 : 1))
        .at(-1),
    );
  });

  it('still sends the `missed` digest when the runs just before a pause did run', async () => {
    const s = notifying();
    const job = await s.create({
      schedule: { type: 'rate', everySeconds: 1 },
      misfire: 'skip',
      notifications: [{ on: ['missed'], webhook: HOOK }],
    });
    s.clock.advance(3000);
    const due = s.queue.take().filter((run) => Date.parse(run.message.scheduledAt) <= s.clock.now());
    for (const run of due) expect(await s.executor.handle(run.message)).toBe('succeeded');
    expect(due.length).toBeGreaterThanOrEqual(3);
    await s.jobService.pauseJob(TENANT, job.jobId);
    s.clock.advance(2 * 60_000);
    await s.jobService.resumeJob(TENANT, job.jobId);
    const skipped = (await s.executions.listByJob(job.jobId, { status: 'skipped' }, 1000)).items;
    const newest = skipped
      .map((e) => e.scheduledAt)
      .sort((a, b) => (a < b ? -1 : 1))
      .at(-1);
    const missed = s.published();
    expect(missed).toHaveLength(1);
    expect(missed[0]!.payload).toMatchObject({
      execution: { id: `${job.jobId}:${newest}` },
      missed: { lastScheduledAt: newest },
    });
  });

  describe('cancelled', () => {
    const cancelSetup = async () => {
      const s = notifying();
      const job = await s.create({
        schedule: { type: 'rate', everySeconds: 60 },
        notifications: [{ on: ['cancelled'], webhook: HOOK }],
      });
      return { s, job };
    };

    it('announces a queued run cancelled through the API', async () => {
      const { s, job } = await cancelSetup();
      const run = await s.jobService.triggerJob(TENANT, job.jobId);
      await s.executionService.cancelExecution(TENANT, run.executionId);
      const [cancelled, ...rest] = s.published();
      expect(rest).toEqual([]);
      expect(cancelled!.payload).toMatchObject({
        id: `${run.executionId}#cancelled`,
        event: 'cancelled',
        status: 'cancelled',
        execution: { id: run.executionId, trigger: 'manual' },
        attempts: 0,
        error: 'cancelled',
      });
    });

    it('announces a scheduled run cancelled on the queue before it had a record', async () => {
      const { s, job } = await cancelSetup();
      const executionId = `${job.jobId}:${job.enqueuedThrough}`;
      await s.executionService.cancelExecution(TENANT, executionId);
      const [cancelled] = s.published();
      expect(cancelled!.payload).toMatchObject({
        event: 'cancelled',
        execution: { id: executionId, trigger: 'schedule' },
        error: 'cancelled before it ran',
      });
    });

    it('announces the queued runs a job cancel takes down', async () => {
      const { s, job } = await cancelSetup();
      const queued = await s.jobService.triggerJob(TENANT, job.jobId);
      await s.jobService.cancelJob(TENANT, job.jobId);
      expect(s.published().map((m) => [m.payload.event, m.payload.execution.id])).toEqual([
        ['cancelled', queued.executionId],
      ]);
    });
  });

  it('keeps the run going when the notifications queue fails', async () => {
    const errors: string[] = [];
    const s = notifying({ ...silentLogger, error: (message) => errors.push(message) });
    const job = await s.create({ notifications: [{ on: ['succeeded'], webhook: HOOK }] });
    s.notifications.failNext = 1;
    await s.jobService.triggerJob(TENANT, job.jobId);
    const [run] = s.queue.take();
    expect(await s.executor.handle(run!.message)).toBe('succeeded');
    expect(errors).toEqual(['notifications listener failed']);
  });
});
