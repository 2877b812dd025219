import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { SesEmailSender } from '../adapters/ses-email-sender.js';
import { redeliverLater } from '../adapters/sqs-visibility.js';
import { ENV, requiredEnv } from '../composition/config.js';
import { instrumented, lambdaDeps, metrics, serviceLogger } from '../composition/lambda-context.js';
import type { EmailSender } from '../core/ports/email-sender.js';
import { NotifierService } from '../services/notifications/notifier-service.js';
import { processNotificationBatch } from './batch.js';

const METRIC_OF = {
  delivered: 'NotificationsDelivered',
  retrying: 'NotificationsRetried',
  unparseable: 'NotificationsUnparseable',
} as const;

let service: NotifierService | undefined;
const sqs = new SQSClient({});

/** Without a sender address the deployment has no email: such deliveries fail (and end in the DLQ), webhooks go on. */
function emailSender(): EmailSender {
  const from = process.env[ENV.emailFrom];
  if (from) return new SesEmailSender(new SESv2Client({}), from);
  return {
    send: async () => {
      throw new Error(`email notifications are not configured (${ENV.emailFrom} is not set)`);
    },
  };
}

/** Built once per container: webhooks through the same HttpCaller (and target rules) as executions. */
function notifier(): NotifierService {
  if (!service) {
    const deps = lambdaDeps();
    service = new NotifierService({
      http: deps.http,
      email: emailSender(),
      signing: deps.signing,
      clock: deps.clock,
      log: serviceLogger,
    });
  }
  return service;
}

/** Notifications queue -> webhooks and SES; the event source mapping reports batch item failures. */
async function notify(event: SQSEvent) {
  return processNotificationBatch(event, notifier(), {
    log: serviceLogger,
    retryLater: redeliverLater(sqs, requiredEnv(ENV.notificationsQueue)),
    onOutcome: (outcome) => metrics.addMetric(METRIC_OF[outcome], MetricUnit.Count, 1),
  });
}

export const handler = instrumented(notify, { signing: true });
