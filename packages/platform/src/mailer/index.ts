export type { Mailer, MailMessage, SendGuard } from './mailer.ts';
export { DEFAULT_FROM } from './mailer.ts';
export { MailerError, mailerErrorSpecs } from './mailer-errors.ts';
export type { MailerErrorCode } from './mailer-errors.ts';
export { createSmtpMailer } from './smtp-mailer.ts';
export type { SmtpMailerOptions } from './smtp-mailer.ts';
export { createFileSinkMailer, emlFileName } from './file-sink-mailer.ts';
export type { FileSinkMailerOptions } from './file-sink-mailer.ts';
