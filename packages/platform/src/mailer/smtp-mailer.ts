import { createTransport } from 'nodemailer';
import { composeMail } from './mail-message.ts';
import { DEFAULT_FROM, type Mailer } from './mailer.ts';
import { MailerError } from './mailer-errors.ts';
import { SpanKind, withSpan } from '../observability/spans.ts';

export interface SmtpMailerOptions {
  /** `smtp://[user:pass@]host[:port]` (port 25, STARTTLS when offered) or `smtps://...` (port 465, TLS). */
  url: string;
  /** Default sender. Default `"orderflow <orders@orderflow.local>"`. */
  from?: string;
  /** Connect, greeting and socket-idle timeout, each, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Pooled connections at most. Default 5. */
  maxConnections?: number;
}

interface NodemailerFailure {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  message?: string;
}

const NO_RETRY_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'ECONFIG']);

/** Classifies a nodemailer error: permanent SMTP replies and bad envelopes are not worth a retry. */
function mailerErrorOf(err: unknown, messageId: string): MailerError {
  const e = (err ?? {}) as NodemailerFailure;
  const opts = { cause: err, ...(e.responseCode === undefined ? {} : { smtpResponseCode: e.responseCode }) };
  const detail = `sending <${messageId}> failed: ${e.message ?? String(err)}`;
  if (e.code === 'ETIMEDOUT') return new MailerError('MAILER_TIMEOUT', detail, opts);
  if (e.permanent === true || (e.responseCode === undefined && e.code !== undefined && NO_RETRY_CODES.has(e.code))) {
    return new MailerError('MAILER_REJECTED', detail, opts);
  }
  return new MailerError('MAILER_UNAVAILABLE', detail, opts);
}

function transportOptions(opts: SmtpMailerOptions) {
  const url = URL.canParse(opts.url) ? new URL(opts.url) : undefined;
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new TypeError(`url must be smtp://host[:port] or smtps://host[:port], got '${opts.url}'`);
  }
  const secure = url.protocol === 'smtps:';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new TypeError(`timeoutMs must be > 0, got ${timeoutMs}`);
  return {
    pool: true as const,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 25,
    secure,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    maxConnections: opts.maxConnections ?? 5,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
}

/**
 * A Mailer over SMTP (nodemailer, pooled keep-alive connections). Each message carries
 * `Message-ID: <messageId>`; nodemailer requeues a message whose pooled connection drops,
 * otherwise nothing is retried here.
 * @throws TypeError at creation for a url that is not smtp:// or smtps://, or a bad timeoutMs.
 *   `send` throws MailerError: UNAVAILABLE (connection failure, 4xx reply) and TIMEOUT are
 *   retryable, REJECTED (5xx reply) and INVALID_MESSAGE are not, CLOSED after `close()`.
 */
export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
  const transport = createTransport(transportOptions(opts));
  const defaultFrom = opts.from ?? DEFAULT_FROM;
  let closed = false;
  return {
    async send(msg) {
      if (closed) throw new MailerError('MAILER_CLOSED', `mailer is closed; <${msg.messageId}> was not sent`);
      const mail = composeMail(msg, defaultFrom);
      await withSpan('smtp send', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'smtp' } }, async () => {
        try {
          await transport.sendMail(mail);
        } catch (err) {
          throw mailerErrorOf(err, msg.messageId);
        }
      });
    },
    async close() {
      closed = true;
      transport.close();
    },
  };
}
