import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { composeMail, renderMail } from './mail-message.ts';
import { DEFAULT_FROM, type Mailer, type SendGuard } from './mailer.ts';
import { MailerError } from './mailer-errors.ts';
import { SpanKind, withSpan } from '../observability/spans.ts';

export interface SmtpMailerOptions {
  /** `smtp://[user:pass@]host[:port]` (port 25, STARTTLS when offered) or `smtps://...` (port 465, TLS). */
  url: string;
  /** Default sender. Default `"orderflow <orders@orderflow.local>"`. */
  from?: string;
  /** Connect, greeting and socket-idle timeout, each, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Open connections at most (kept alive between messages). Default 5. */
  maxConnections?: number;
}

interface NodemailerFailure {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  message?: string;
}

const NO_RETRY_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'ECONFIG']);
/** Messages per connection before it is replaced (as nodemailer's pool does). */
const MESSAGES_PER_CONNECTION = 100;

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

function connectionOptions(opts: SmtpMailerOptions) {
  const url = URL.canParse(opts.url) ? new URL(opts.url) : undefined;
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new TypeError(`url must be smtp://host[:port] or smtps://host[:port], got '${opts.url}'`);
  }
  const secure = url.protocol === 'smtps:';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new TypeError(`timeoutMs must be > 0, got ${timeoutMs}`);
  const maxConnections = opts.maxConnections ?? 5;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new TypeError(`maxConnections must be an integer >= 1, got ${maxConnections}`);
  return {
    connection: {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : secure ? 465 : 25,
      secure,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      // An abandoned message must not linger half-sent: close at once, never by a graceful QUIT.
      socketCloseTimeout: 0,
      logger: false,
    },
    auth: url.username ? { credentials: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : undefined,
    maxConnections,
  };
}

/** One kept-alive SMTP session. `dead` once it errored or the server ended it. */
interface Lane {
  conn: SMTPConnection;
  sent: number;
  dead: boolean;
}

type Options = ReturnType<typeof connectionOptions>;

function openLane(o: Options): Promise<Lane> {
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection(o.connection);
    const lane: Lane = { conn, sent: 0, dead: false };
    let settled = false;
    const fail = (err: unknown): void => {
      lane.dead = true;
      if (settled) return;
      settled = true;
      conn.close();
      reject(err);
    };
    // Every error reaches the send callback too; the listener keeps an idle drop from crashing us.
    conn.on('error', fail);
    conn.once('end', () => fail(Object.assign(new Error('connection closed by the server'), { code: 'ECONNECTION' })));
    conn.connect(() => {
      if (settled) return;
      if (!o.auth) {
        settled = true;
        return resolve(lane);
      }
      conn.login(o.auth, (err) => {
        if (err) return fail(err);
        settled = true;
        resolve(lane);
      });
    });
  });
}

/** At most `max` lanes open; idle ones are reused, newest first. */
function createLanePool(o: Options) {
  const idle: Lane[] = [];
  const waiting: Array<() => void> = [];
  let open = 0;
  let closed = false;

  const wakeOne = (): void => waiting.shift()?.();

  async function acquire(): Promise<{ lane: Lane; reused: boolean }> {
    for (;;) {
      if (closed) throw new MailerError('MAILER_CLOSED', 'mailer is closed');
      const lane = idle.pop();
      if (lane) {
        if (!lane.dead) return { lane, reused: true };
        open -= 1;
        continue;
      }
      if (open < o.maxConnections) {
        open += 1;
        try {
          return { lane: await openLane(o), reused: false };
        } catch (err) {
          open -= 1;
          wakeOne();
          throw err;
        }
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }

  function release(lane: Lane, reusable: boolean): void {
    if (reusable && !lane.dead && !closed && lane.sent < MESSAGES_PER_CONNECTION) {
      idle.push(lane);
    } else {
      lane.dead = true;
      lane.conn.close();
      open -= 1;
    }
    wakeOne();
  }

  function close(): void {
    closed = true;
    for (const lane of idle.splice(0)) lane.conn.close();
    for (const wake of waiting.splice(0)) wake();
  }

  return { acquire, release, close };
}

type Outcome =
  | { kind: 'sent' }
  | { kind: 'declined' }
  | { kind: 'guard-failed'; error: unknown }
  | { kind: 'failed'; error: unknown; accepted: boolean | undefined };

/**
 * One SMTP transaction on `lane`. The body goes out in full; `guard.accept` runs only once the
 * server has answered DATA and holds the body, and the final `.` follows only if it says yes.
 * `accepted` in a failure: whether `accept` had said yes (undefined: it never ran).
 */
function transact(lane: Lane, envelope: { from: string; to: string[] }, raw: Buffer, guard: SendGuard | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let accepting: Promise<boolean> | undefined;
    const settle = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    const abandon = (o: Outcome): void => {
      // Closing mid-DATA makes the server drop the unfinished message.
      lane.dead = true;
      lane.conn.close();
      settle(o);
    };
    let pushed = false;
    const body = new Readable({
      read() {
        if (!pushed) {
          pushed = true;
          this.push(raw);
          return;
        }
        if (accepting) return;
        accepting = guard ? guard.accept() : Promise.resolve(true);
        accepting.then(
          (ok) => {
            if (settled) return;
            if (ok) body.push(null);
            else abandon({ kind: 'declined' });
          },
          (err: unknown) => abandon({ kind: 'guard-failed', error: err }),
        );
      },
    });
    lane.conn.send(envelope, body, (err) => {
      if (!err) {
        lane.sent += 1;
        return settle({ kind: 'sent' });
      }
      lane.dead = true;
      if (!accepting) return settle({ kind: 'failed', error: err, accepted: undefined });
      // The guard may still be committing: its answer decides whether there is a record to release.
      accepting.then(
        (ok) => settle({ kind: 'failed', error: err, accepted: ok }),
        () => settle({ kind: 'failed', error: err, accepted: false }),
      );
    });
  });
}

/**
 * A Mailer over SMTP (nodemailer's SMTP connection, up to `maxConnections` kept alive). Each
 * message carries `Message-ID: <messageId>`. With a `SendGuard` the sender's record commits
 * between the body and the final `.` (see `SendGuard`). A kept-alive connection that turns out
 * dead before the message went out is replaced once; nothing else is retried here.
 * @throws TypeError at creation for a url that is not smtp:// or smtps://, or a bad timeoutMs or
 *   maxConnections. `send` throws MailerError: UNAVAILABLE (connection failure, 4xx reply) and
 *   TIMEOUT are retryable, REJECTED (5xx reply) and INVALID_MESSAGE are not, CLOSED after
 *   `close()`; or the guard's own error.
 */
export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
  const o = connectionOptions(opts);
  const pool = createLanePool(o);
  const defaultFrom = opts.from ?? DEFAULT_FROM;
  let closed = false;
  return {
    async send(msg, guard) {
      if (closed) throw new MailerError('MAILER_CLOSED', `mailer is closed; <${msg.messageId}> was not sent`);
      const { envelope, raw } = await renderMail(composeMail(msg, defaultFrom));
      return withSpan('smtp send', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'smtp' } }, async () => {
        for (let attempt = 0; ; attempt++) {
          let acquired;
          try {
            acquired = await pool.acquire();
          } catch (err) {
            throw err instanceof MailerError ? err : mailerErrorOf(err, msg.messageId);
          }
          const outcome = await transact(acquired.lane, envelope, raw, guard);
          pool.release(acquired.lane, outcome.kind === 'sent');
          if (outcome.kind === 'sent') return true;
          if (outcome.kind === 'declined') return false;
          if (outcome.kind === 'guard-failed') throw outcome.error;
          if (outcome.accepted === undefined && acquired.reused && attempt === 0) continue;
          if (outcome.accepted === true) await guard?.release();
          throw mailerErrorOf(outcome.error, msg.messageId);
        }
      });
    },
    async close() {
      closed = true;
      pool.close();
    },
  };
}
