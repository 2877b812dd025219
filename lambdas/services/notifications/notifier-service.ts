import type { NotificationMessage, NotificationPayload } from '../../../schemas/notification.js';
import type { Clock } from '../../core/ports/clock.js';
import type { EmailSender } from '../../core/ports/email-sender.js';
import type { HttpCaller } from '../../core/ports/http-caller.js';
import type { Logger } from '../../core/ports/logger.js';
import type { SigningKeys } from '../../core/ports/signing-keys.js';
import { signatureHeader } from '../../core/signing.js';

/** A webhook receiver gets this long to answer one delivery. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface NotifierDeps {
  http: HttpCaller;
  email: EmailSender;
  signing: SigningKeys;
  clock: Clock;
  log: Logger;
}

export type DeliveryResult = { delivered: true } | { delivered: false; error: string };

export function emailSubject(payload: NotificationPayload): string {
  const what =
    payload.missed && payload.missed.count > 1 ? `missed ${payload.missed.count} runs` : payload.event;
  return `[scheduler] ${payload.job.name ?? payload.job.id}: ${what}`;
}

export function emailText(payload: NotificationPayload): string {
  const lines = [
    `Job ${payload.job.name ? `${payload.job.name} (${payload.job.id})` : payload.job.id}: ${payload.event}.`,
    '',
    `Execution:  ${payload.execution.id}`,
    `Scheduled:  ${payload.execution.scheduledAt} (trigger ${payload.execution.trigger})`,
    `Status:     ${payload.status} after ${payload.attempts} attempt${payload.attempts === 1 ? '' : 's'}`,
    ...(payload.execution.lateByMs !== null ? [`Late by:    ${payload.execution.lateByMs} ms`] : []),
    ...(payload.error ? [`Error:      ${payload.error}`] : []),
    ...(payload.missed
      ? [
          `Missed:     ${payload.missed.count} run(s), ${payload.missed.firstScheduledAt} … ${payload.missed.lastScheduledAt}`,
        ]
      : []),
    `Details:    ${payload.links.execution}`,
    '',
    'The notification as JSON:',
    JSON.stringify(payload, null, 2),
  ];
  return lines.join('\n');
}

/**
 * Delivers one notification: a signed JSON POST to a webhook (through the HttpCaller port, so the
 * deployment's target rules apply to it as to any target) or an email. Never throws for a
 * receiver's failure; the caller retries with backoff and the queue's DLQ counts what never arrives.
 */
export class NotifierService {
  constructor(private readonly deps: NotifierDeps) {}

  async deliver(message: NotificationMessage, deliveryAttempt: number): Promise<DeliveryResult> {
    const { channel, payload } = message;
    try {
      if ('webhook' in channel) return await this.post(channel.webhook, message, deliveryAttempt);
      await this.deps.email.send({
        to: channel.email,
        subject: emailSubject(payload),
        text: emailText(payload),
        id: payload.id,
      });
      return { delivered: true };
    } catch (error) {
      return { delivered: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private async post(
    url: string,
    message: NotificationMessage,
    deliveryAttempt: number,
  ): Promise<DeliveryResult> {
    const body = JSON.stringify(message.payload);
    const secret = this.deps.signing.secretsFor(message.tenant)[0];
    const now = this.deps.clock.now();
    const outcome = await this.deps.http.call({
      url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'scheduler-notifier/1',
        'idempotency-key': message.payload.id,
        'x-scheduler-notification-id': message.payload.id,
        'x-scheduler-event': message.payload.event,
        'x-scheduler-job-id': message.payload.job.id,
        'x-scheduler-execution-id': message.payload.execution.id,
        'x-scheduler-delivery-attempt': String(deliveryAttempt),
        ...(secret ? { 'x-scheduler-signature': signatureHeader(secret, Math.floor(now / 1000), body) } : {}),
      },
      body,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
    });
    if (outcome.kind === 'response' && outcome.statusCode >= 200 && outcome.statusCode < 300)
      return { delivered: true };
    return {
      delivered: false,
      error: outcome.kind === 'response' ? `HTTP ${outcome.statusCode}` : outcome.error,
    };
  }
}
