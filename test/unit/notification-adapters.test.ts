import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SesEmailSender } from '../../lambdas/adapters/ses-email-sender.js';
import { SqsNotificationQueue } from '../../lambdas/adapters/sqs-notification-queue.js';
import type { OutgoingNotification } from '../../lambdas/core/ports/notification-queue.js';
import { NotificationMessage } from '../../schemas/notification.js';

const ses = mockClient(SESv2Client);
const sqs = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/notifications';

afterEach(() => {
  ses.reset();
  sqs.reset();
});

function notification(n: number, delaySeconds?: number): OutgoingNotification {
  const message = NotificationMessage.parse({
    v: 1,
    tenant: 'team-a',
    channel: { webhook: 'https://hooks.example.com/x' },
    payload: {
      id: `job_x:2026-05-01T12:00:0${n % 10}.000Z#succeeded`,
      event: 'succeeded',
      occurredAt: '2026-05-01T12:00:05.000Z',
      job: { id: 'job_x', name: null },
      execution: {
        id: 'job_x:2026-05-01T12:00:00.000Z',
        scheduledAt: '2026-05-01T12:00:00.000Z',
        trigger: 'schedule',
        startedAt: null,
        finishedAt: null,
        lateByMs: null,
      },
      status: 'succeeded',
      attempts: 1,
      error: null,
      links: { execution: '/v1/executions/x', job: '/v1/jobs/job_x' },
    },
  });
  return { message, ...(delaySeconds !== undefined ? { delaySeconds } : {}) };
}

describe('SesEmailSender', () => {
  it('sends a plain-text UTF-8 email through SES v2 from the configured address', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const sender = new SesEmailSender(new SESv2Client({ region: 'us-east-1' }), 'scheduler@example.com');

    // Act
    await sender.send({
      to: 'team@example.com',
      subject: '[scheduler] nightly: dead',
      text: 'Job nightly: dead.',
      id: 'job_x:2026-05-01T12:00:00.000Z#dead',
    });

    // Assess
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      FromEmailAddress: 'scheduler@example.com',
      Destination: { ToAddresses: ['team@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: '[scheduler] nightly: dead', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Job nightly: dead.', Charset: 'UTF-8' } },
          Headers: [{ Name: 'X-Scheduler-Notification-Id', Value: 'job_x:2026-05-01T12:00:00.000Z#dead' }],
        },
      },
    });
  });

  it('lets an SES refusal through, so the notifier retries the delivery', async () => {
    ses.on(SendEmailCommand).rejects(new Error('MessageRejected: Email address is not verified'));
    const sender = new SesEmailSender(new SESv2Client({ region: 'us-east-1' }), 'scheduler@example.com');
    await expect(sender.send({ to: 'a@example.com', subject: 's', text: 't', id: 'i' })).rejects.toThrow(
      /not verified/,
    );
  });
});

describe('SqsNotificationQueue', () => {
  const queue = () => new SqsNotificationQueue(new SQSClient({ region: 'us-east-1' }), QUEUE_URL);

  it('sends in batches of ten with each message’s delay, clamped to what SQS allows', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await queue().send([
      notification(0, 5),
      notification(1, 2000),
      ...Array.from({ length: 10 }, (_, i) => notification(i + 2)),
    ]);
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(batches.map((b) => b.Entries!.length)).toEqual([10, 2]);
    expect(batches[0]!.QueueUrl).toBe(QUEUE_URL);
    expect(batches[0]!.Entries!.slice(0, 3).map((e) => e.DelaySeconds)).toEqual([5, 900, 0]);
    expect(NotificationMessage.parse(JSON.parse(batches[0]!.Entries![0]!.MessageBody!))).toEqual(
      notification(0).message,
    );
  });

  it('resends the entries SQS failed for a passing reason, and only those', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    await queue().send([notification(0), notification(1), notification(2)]);
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(batches.map((b) => b.Entries!.map((e) => e.Id))).toEqual([['0', '1', '2'], ['1']]);
  });

  it('throws on a sender fault, so the event listener logs it and the run goes on', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true, Message: 'too big' }],
    });
    await expect(queue().send([notification(0)])).rejects.toThrow(/refused a message: InvalidParameterValue/);
  });

  it('gives up after five tries of an entry that keeps failing', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'ServiceUnavailable', SenderFault: false }] });
    await expect(queue().send([notification(0)])).rejects.toThrow(/after 5 tries/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(5);
  });
});
