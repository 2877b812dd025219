import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Email, EmailSender } from '../core/ports/email-sender.js';

/** Email through SES v2 from the deployment's verified address (`SCHEDULER_EMAIL_FROM`). */
export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
  ) {}

  async send(email: Email): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [email.to] },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' } },
            Headers: [{ Name: 'X-Scheduler-Notification-Id', Value: email.id }],
          },
        },
      }),
    );
  }
}
