/** One email. Its `messageId` is what makes a resend recognisably the same mail. */
export interface MailMessage {
  /** Without angle brackets, `local@domain`, e.g. `order-<id>-confirmed@orderflow`. */
  messageId: string;
  to: string;
  /** Default: the mailer's `from`. */
  from?: string;
  subject: string;
  text: string;
  /** Extra header fields; Message-ID, From, To, Subject, Date and MIME fields cannot be set here. */
  headers?: Record<string, string>;
}

/** The port to an outgoing mail system; delivery is at least once, deduplicated by Message-ID downstream. */
export interface Mailer {
  /** @throws MailerError (see `mailerErrorSpecs` for codes and `retryable`). */
  send(msg: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** The default sender of both adapters. */
export const DEFAULT_FROM = 'orderflow <orders@orderflow.local>';
