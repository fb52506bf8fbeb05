import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/** A message the peer accepted. */
export interface SmtpPeerMessage {
  /** The Message-ID header without its angle brackets. */
  messageId: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** The Subject header, RFC 2047 encoded words decoded. */
  subject: string;
  /** The message as received, headers and body. */
  raw: string;
}

export interface SmtpPeer {
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Accepted messages, in arrival order. */
  messages: SmtpPeerMessage[];
  /** While down, new connections get `421` and open ones get `421` on their next MAIL FROM or DATA, then are closed. */
  setDown(down: boolean): void;
  /** Resolves with the messages once at least `count` arrived; rejects after `timeoutMs` (default 5000). */
  waitForMessages(count: number, timeoutMs?: number): Promise<SmtpPeerMessage[]>;
  /** Stops the peer, closing open client connections after at most 100 ms. */
  close(): Promise<void>;
}

function smtpError(responseCode: number, message: string): SMTPServerError {
  return Object.assign(new Error(message), { responseCode });
}

/** Header fields of a raw message, names lower-cased, folded lines unfolded; the first occurrence wins. */
export function parseHeaders(raw: string): Map<string, string> {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end < 0 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const fields = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?B?...?=`, `=?UTF-8?Q?...?=`). */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, charset: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return bytes.toString(/^utf-?8$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

/**
 * Starts a real SMTP server on 127.0.0.1 (a free port) for tests: no auth, no TLS, every
 * message accepted and recorded, except the first `failNext` (default 0) which get a
 * transient `451` after DATA and are not recorded.
 * @throws the listen error.
 */
export async function startSmtpPeer(opts: { failNext?: number } = {}): Promise<SmtpPeer> {
  let down = false;
  let failNext = opts.failNext ?? 0;
  const messages: SmtpPeerMessage[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onConnect(_session, callback) {
      callback(down ? smtpError(421, 'Service not available, try again later') : null);
    },
    onMailFrom(_address, _session, callback) {
      callback(down ? smtpError(421, 'Service not available, closing channel') : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (down) return callback(smtpError(421, 'Service not available, closing channel'));
        if (failNext > 0) {
          failNext -= 1;
          return callback(smtpError(451, 'Requested action aborted: local error in processing'));
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = parseHeaders(raw);
        messages.push({
          messageId: (headers.get('message-id') ?? '').replace(/^<|>$/g, ''),
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: decodeEncodedWords(headers.get('subject') ?? ''),
          raw,
        });
        for (const wake of waiters) wake();
        callback(null);
      });
    },
  });

  // A client killed mid-session (the crash tests do that) resets its connection: a peer survives it.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that dies mid-session (a SIGKILLed orderflow) resets its socket; smtp-server reports
  // that as an 'error' on the server, which would otherwise be an uncaught exception in the test.
  const connectionErrors: Error[] = [];
  server.on('error', (e: Error) => connectionErrors.push(e));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    setDown: (d) => {
      down = d;
    },
    waitForMessages: (count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} messages within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
