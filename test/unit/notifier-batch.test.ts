import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processNotificationBatch } from '../../lambdas/notifier/batch.js';
import type { NotifierService } from '../../lambdas/services/notifications/notifier-service.js';
import { RUN_QUEUE_URLS, sqsRecord } from '../support/lambda-events.js';
import { aDeadNotification, notificationTo, notifierAt } from '../support/notification-fixtures.js';
import { silentLogger } from '../support/services.js';

const HOOK = 'https://hooks.example.com/scheduler';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
describe('processNotificationBatch', () => {
  const record = (body: string, receiveCount: number, id = 'm1'): SQSRecord =>
    ({
      messageId: id,
      receiptHandle: `rh-${id}`,
      body,
      attributes: { ApproximateReceiveCount: String(receiveCount) },
    }) as unknown as SQSRecord;

  it('reports failed deliveries and hides them longer each time; delivered ones pass', async () => {
    const n = notifierAt(NOW);
    n.http.answer = (request) =>
      request.url.endsWith('/down')
        ? { kind: 'error', error: 'ECONNREFUSED', timedOut: false, aborted: false, durationMs: 1 }
        : { kind: 'response', statusCode: 204, body: '', durationMs: 1 };
    const delays: [string, number][] = [];
    const outcomes: string[] = [];
    const event: SQSEvent = {
      Records: [
        record(JSON.stringify(notificationTo({ webhook: `${HOOK}/down` })), 3, 'down'),
        record(JSON.stringify(notificationTo({ webhook: HOOK })), 1, 'up'),
        record('{"not":"a notification"}', 1, 'junk'),
      ],
    };
    const result = await processNotificationBatch(event, n.service, {
      log: silentLogger,
      retryLater: async (r, seconds) => {
        delays.push([r.messageId, seconds]);
      },
      onOutcome: (o) => outcomes.push(o),
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'down' }, { itemIdentifier: 'junk' }]);
    expect(delays).toEqual([['down', 20]]);
    expect(outcomes.sort()).toEqual(['delivered', 'retrying', 'unparseable']);
    expect(
      n.http.requests.find((r) => r.url.endsWith('/down'))?.headers['x-scheduler-delivery-attempt'],
    ).toBe('3');
  });
});

describe('processNotificationBatch: backoff', () => {
  it('backs a failing webhook off by doubling, at most 5 minutes apart', async () => {
    // Prepare
    const body = JSON.stringify(aDeadNotification('team-a', { webhook: 'https://hooks.example.com/x' }));
    const down = {
      deliver: async () => ({ delivered: false, error: 'HTTP 503' }),
    } as unknown as NotifierService;
    const delays: number[] = [];
    // Act
    for (const receiveCount of [1, 6, 7, 8]) {
      await processNotificationBatch(
        { Records: [sqsRecord(`n${receiveCount}`, RUN_QUEUE_URLS.normal, receiveCount, body)] },
        down,
        {
          log: silentLogger,
          retryLater: async (_record, seconds) => void delays.push(seconds),
        },
      );
    }
    // Assess
    expect(delays).toEqual([5, 160, 300, 300]);
  });
});
