export interface Email {
  to: string;
  subject: string;
  /** Plain text. */
  text: string;
  /** Stable per notification, so a receiver (or a mail client) can tell redeliveries apart. */
  id: string;
}

/** Sends one email: SES v2 in AWS, `.eml` files in the local outbox. */
export interface EmailSender {
  send(email: Email): Promise<void>;
}
