import type { Mailer } from '../mailer/mailer.ts';
import type { DependencyPolicy } from './dependency-policy.ts';

/**
 * A Mailer whose sends run under `policy`. A send cut off by the time budget may still have been
 * delivered (SMTP is at-least-once); the Message-ID derived from the order makes a resend
 * recognisably the same mail. Throws MailerError or the kit's DEPENDENCY_* errors (retryable).
 */
export function resilientMailer(mailer: Mailer, policy: DependencyPolicy): Mailer {
  return {
    send: (msg) => policy.execute(() => mailer.send(msg)),
    close: () => mailer.close(),
  };
}
