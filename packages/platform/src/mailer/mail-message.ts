import { createTransport } from 'nodemailer';
import type { MailMessage } from './mailer.ts';
import { MailerError } from './mailer-errors.ts';

const MESSAGE_ID = /^[^\s<>@]+@[^\s<>@]+$/;
const HEADER_NAME = /^[!-9;-~]+$/;
const NO_LINE_BREAK = /^[^\r\n]*$/;
const RESERVED_HEADERS = new Set([
  'message-id',
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

function invalid(detail: string): MailerError {
  return new MailerError('MAILER_INVALID_MESSAGE', detail);
}

/** The nodemailer message fields both adapters send. */
export interface ComposedMail {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  headers: Record<string, string>;
}

/**
 * Checks a message and turns it into nodemailer fields, with `Message-ID: <messageId>`.
 * @throws MailerError `MAILER_INVALID_MESSAGE` for a messageId that is not `local@domain`
 *   without brackets or spaces, an empty `to`, line breaks in `to`, `from`, `subject` or
 *   a header, a bad header name, or a header that would override one the mailer sets.
 */
export function composeMail(msg: MailMessage, defaultFrom: string): ComposedMail {
  if (!MESSAGE_ID.test(msg.messageId)) throw invalid(`messageId must look like local@domain without <>, got '${msg.messageId}'`);
  if (!msg.to || !NO_LINE_BREAK.test(msg.to)) throw invalid('to must be a non-empty address without line breaks');
  const from = msg.from ?? defaultFrom;
  if (!from || !NO_LINE_BREAK.test(from)) throw invalid('from must be a non-empty address without line breaks');
  if (typeof msg.subject !== 'string' || !NO_LINE_BREAK.test(msg.subject)) throw invalid('subject must be one line');
  if (typeof msg.text !== 'string') throw invalid('text must be a string');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(msg.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw invalid(`header name '${name}' is not valid`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw invalid(`header '${name}' is set by the mailer`);
    if (typeof value !== 'string' || !NO_LINE_BREAK.test(value)) throw invalid(`header '${name}' must be one line`);
    headers[name] = value;
  }
  return { messageId: `<${msg.messageId}>`, from, to: msg.to, subject: msg.subject, text: msg.text, headers };
}

/** A composed mail as bytes (CRLF line ends), with the SMTP envelope taken from its From and To. */
export interface RenderedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

const renderer = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

/** Renders `mail` (see `composeMail`) into RFC 5322 bytes. */
export async function renderMail(mail: ComposedMail): Promise<RenderedMail> {
  const info = await renderer.sendMail(mail);
  const envelope = info.envelope as { from: string | false; to: string[] };
  return { envelope: { from: envelope.from || '', to: envelope.to }, raw: info.message as Buffer };
}
