import { AppError, type ErrorSpec } from '../errors.ts';

/** Failures of `Mailer.send`; `retryable` says whether sending the same message again can help. */
export const mailerErrorSpecs = {
  MAILER_UNAVAILABLE: { status: 503, title: 'Mail server unreachable or temporarily refusing (4xx), or the sink cannot write', retryable: true },
  MAILER_TIMEOUT: { status: 504, title: 'Mail server did not answer in time', retryable: true },
  MAILER_REJECTED: { status: 502, title: 'Mail server rejected the message for good (5xx)', retryable: false },
  MAILER_INVALID_MESSAGE: { status: 400, title: 'Message is not valid; nothing was sent', retryable: false },
  // Retryable on purpose: a message handed in during shutdown belongs to the next instance.
  MAILER_CLOSED: { status: 503, title: 'Mailer is closed', retryable: true },
} as const satisfies Record<string, ErrorSpec>;

export type MailerErrorCode = keyof typeof mailerErrorSpecs;

/** Thrown by Mailer adapters. `smtpResponseCode` is the server's reply code when there was one. */
export class MailerError extends AppError {
  override name = 'MailerError';
  declare readonly code: MailerErrorCode;
  readonly smtpResponseCode: number | undefined;

  constructor(code: MailerErrorCode, detail: string, opts: { cause?: unknown; smtpResponseCode?: number } = {}) {
    super(code, mailerErrorSpecs[code], detail, {
      cause: opts.cause,
      ...(opts.smtpResponseCode === undefined ? {} : { extensions: { smtpResponseCode: opts.smtpResponseCode } }),
    });
    this.smtpResponseCode = opts.smtpResponseCode;
  }
}
