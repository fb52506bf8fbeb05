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

/**
 * The sender's own record of a send, kept in step with the receiving side so that a crash of the
 * sender can neither duplicate nor silently drop a mail.
 *
 * `accept` runs once per send, after the receiver holds the whole message and before it is asked
 * to take it (SMTP: after the body, before the final `.`; the file sink: before the rename). It
 * commits the sender's record ("this mail is sent") and answers whether to go on: `false` (another
 * delivery already holds the record) or a throw abandons the message — the receiver drops an
 * unfinished message. A crash before `accept` commits leaves nothing on either side; a crash after
 * it finds the message already on its way (the final `.` is a single write).
 *
 * `release` runs when the receiver did not take the message after `accept` said yes (a reply
 * other than 2xx, or the connection lost before the reply): it removes the record so a retry
 * sends again.
 */
export interface SendGuard {
  accept(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * The port to an outgoing mail system. Without a guard, delivery is at least once (a crash after
 * the receiver took the message and before the caller recorded it resends it, with the same
 * Message-ID); with a guard, see `SendGuard`.
 */
export interface Mailer {
  /**
   * Resolves `true` when the receiver took the message, `false` when `guard.accept` declined.
   * @throws MailerError (see `mailerErrorSpecs` for codes and `retryable`), or what `guard` threw.
   */
  send(msg: MailMessage, guard?: SendGuard): Promise<boolean>;
  close(): Promise<void>;
}

/** The default sender of both adapters. */
export const DEFAULT_FROM = 'orderflow <orders@orderflow.local>';
