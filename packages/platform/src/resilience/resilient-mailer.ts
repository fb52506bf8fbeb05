import type { Mailer } from '../mailer/mailer.ts';
import type { DependencyPolicy } from './dependency-policy.ts';

/**
 * A Mailer whose sends run under `policy`. A send cut off by the time budget goes on underneath
 * and may still be delivered; with a `SendGuard` its record says so (see `SendGuard`), without one
 * the Message-ID derived from the order makes a resend recognisably the same mail. Throws MailerError or the kit's DEPENDENCY_* errors (retryable).
 */
export function resilientMailer(mailer: Mailer, policy: DependencyPolicy): Mailer {
  return {
    send: (msg, guard) => policy.execute(() => mailer.send(msg, guard)),
    close: () => mailer.close(),
  };
}
