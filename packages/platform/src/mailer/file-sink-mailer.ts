import { randomBytes, createHash } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { composeMail, renderMail } from './mail-message.ts';
import { DEFAULT_FROM, type Mailer, type SendGuard } from './mailer.ts';
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

/**
 * Writes `data` to a temp file (fsync) and renames it to `name`; `guard.accept` runs between the
 * two (false: nothing is written); a failed rename after it says yes releases the record.
 */
async function writeAtomically(dir: string, name: string, data: Buffer, guard: SendGuard | undefined): Promise<boolean> {
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let accepted = false;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (guard && !(await guard.accept())) {
      await unlink(tmp).catch(() => undefined);
      return false;
    }
    accepted = true;
    await rename(tmp, join(dir, name));
    return true;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (accepted) await guard?.release();
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
  const defaultFrom = opts.from ?? DEFAULT_FROM;
  let ready: Promise<unknown> | undefined;
  let closed = false;
  return {
    async send(msg, guard) {
      if (closed) throw new MailerError('MAILER_CLOSED', `mailer is closed; <${msg.messageId}> was not written`);
      const mail = composeMail(msg, defaultFrom);
      const { raw } = await renderMail(mail);
      return withSpan('smtp send', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'mail_sink' } }, async () => {
        let guardFailure: { error: unknown } | undefined;
        const guarded: SendGuard | undefined = guard && {
          accept: () =>
            guard.accept().catch((error: unknown) => {
              guardFailure = { error };
              throw error;
            }),
          release: () => guard.release(),
        };
        try {
          ready ??= mkdir(opts.dir, { recursive: true });
          await ready;
          return await writeAtomically(opts.dir, emlFileName(msg.messageId), raw, guarded);
        } catch (err) {
          ready = undefined;
          if (guardFailure) throw guardFailure.error;
          throw new MailerError('MAILER_UNAVAILABLE', `writing <${msg.messageId}> to ${opts.dir} failed: ${(err as Error).message}`, { cause: err });
        }
      });
    },
    async close() {
      closed = true;
    },
  };
}
