import { randomBytes, createHash } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { composeMail } from './mail-message.ts';
import { DEFAULT_FROM, type Mailer } from './mailer.ts';
import { SpanKind, withSpan } from '../observability/spans.ts';
import { MailerError } from './mailer-errors.ts';

export interface FileSinkMailerOptions {
  /** Directory for the `.eml` files; created if missing. */
  dir: string;
  /** Default sender. Default `"orderflow <orders@orderflow.local>"`. */
  from?: string;
}

/**
 * The file name for a Message-ID: the id with characters outside `[A-Za-z0-9._@+=-]`
 * replaced by `_` (and a leading dot too), plus a short hash of the id whenever
 * something was replaced or cut, so different ids never share a file.
 */
export function emlFileName(messageId: string): string {
  const safe = messageId.replace(/[^A-Za-z0-9._@+=-]/g, '_').replace(/^\./, '_').slice(0, 180);
  if (safe === messageId) return `${safe}.eml`;
  return `${safe}-${createHash('sha256').update(messageId).digest('hex').slice(0, 10)}.eml`;
}

async function writeAtomically(dir: string, name: string, data: Buffer): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * A Mailer that writes each message as one RFC 5322 `.eml` file (CRLF line ends) into
 * `dir`, named from its Message-ID (see `emlFileName`) and written atomically (temp file,
 * fsync, rename): a resend of the same messageId replaces the file, never adds one.
 * The embedded-mode stand-in for an SMTP server.
 * `send` throws MailerError: INVALID_MESSAGE (not retryable), UNAVAILABLE when the file
 * cannot be written (retryable), CLOSED after `close()`.
 */
export function createFileSinkMailer(opts: FileSinkMailerOptions): Mailer {
  const composer = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const defaultFrom = opts.from ?? DEFAULT_FROM;
  let ready: Promise<unknown> | undefined;
  let closed = false;
  return {
    async send(msg) {
      if (closed) throw new MailerError('MAILER_CLOSED', `mailer is closed; <${msg.messageId}> was not written`);
      const mail = composeMail(msg, defaultFrom);
      await withSpan('smtp send', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'mail_sink' } }, async () => {
        try {
          ready ??= mkdir(opts.dir, { recursive: true });
          await ready;
          const info = await composer.sendMail(mail);
          await writeAtomically(opts.dir, emlFileName(msg.messageId), info.message as Buffer);
        } catch (err) {
          ready = undefined;
          throw new MailerError('MAILER_UNAVAILABLE', `writing <${msg.messageId}> to ${opts.dir} failed: ${(err as Error).message}`, { cause: err });
        }
      });
    },
    async close() {
      closed = true;
      composer.close();
    },
  };
}
