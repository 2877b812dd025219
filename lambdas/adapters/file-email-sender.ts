import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../core/ports/clock.js';
import type { Email, EmailSender } from '../core/ports/email-sender.js';
import type { Logger } from '../core/ports/logger.js';

/** RFC 2047 encoded-word for a header that is not plain ASCII. */
function headerText(value: string): string {
  const oneLine = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(oneLine) ? oneLine : `=?UTF-8?B?${Buffer.from(oneLine).toString('base64')}?=`;
}

/** `Sun, 08 Mar 2026 07:00:00 +0000` (RFC 5322 date-time). */
function rfc5322Date(at: number): string {
  return new Date(at).toUTCString().replace(/GMT$/, '+0000');
}

/** The whole message, CRLF line endings, ready for any mail client to open. */
export function renderEml(email: Email, from: string, at: number): string {
  const digest = createHash('sha256').update(email.id).digest('hex').slice(0, 32);
  const headers = [
    `From: ${headerText(from)}`,
    `To: ${headerText(email.to)}`,
    `Subject: ${headerText(email.subject)}`,
    `Date: ${rfc5322Date(at)}`,
    `Message-ID: <${digest}@scheduler.local>`,
    `X-Scheduler-Notification-Id: ${headerText(email.id)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = email.text.replace(/\r?\n/g, '\r\n');
  return `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;
}

/**
 * Local stand-in for SES: each email becomes an `.eml` file in the outbox directory (written to a
 * temporary name first, so a reader never sees half a file) and a log line naming it.
 */
export class FileEmailSender implements EmailSender {
  constructor(
    private readonly outbox: string,
    private readonly from: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Told of every email written (the local CLI prints it, so a developer sees where to look). */
    private readonly onWritten: (email: Email, path: string) => void = () => {},
  ) {}

  async send(email: Email): Promise<void> {
    const now = this.clock.now();
    await mkdir(this.outbox, { recursive: true });
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    const name = `${stamp}-${createHash('sha256').update(email.id).digest('hex').slice(0, 12)}.eml`;
    const path = join(this.outbox, name);
    await writeFile(`${path}.tmp`, renderEml(email, this.from, now));
    await rename(`${path}.tmp`, path);
    this.log.info('email written to the outbox', { to: email.to, subject: email.subject, path });
    this.onWritten(email, path);
  }
}
