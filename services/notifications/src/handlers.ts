import type { OrderCancelled, OrderConfirmed } from '@orderflow/contracts';
import { defineErrors, inboxInsert, faultPoint, resilienceErrors, type Database, type DeliveredMessage, type Logger, type Mailer, type SendGuard } from '@orderflow/platform';
import type { NotificationsDb } from './schema.ts';
import { cancellationMail, confirmationMail } from './compose.ts';

export const notificationErrors = defineErrors({
  NOTIFICATION_BAD_EVENT: { status: 500, title: 'Event does not match its contract', retryable: false },
});

const CONSUMER = 'notifications';

/** How long a claim (`emails.status = 'sending'`) may belong to a send still in progress. */
export const DEFAULT_CLAIM_GRACE_MS = 60_000;

export interface OrderFinishedOptions {
  /**
   * A claim older than this is taken to be from a sender that died after its claim committed (the
   * mail went out); younger ones may still be in flight and the delivery is retried later. Must
   * exceed the longest a send can take after its claim (the mailer's timeout, a few times).
   * Default 60 000.
   */
  claimGraceMs?: number;
  now?: () => number;
  /** Where a claim taken as sent after the grace, and a claim that could not be released, are reported. */
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/**
 * Sends one mail per order outcome, never two — also when the process dies mid-send. The
 * `emails` row is the claim: it commits between the message body and the final `.` of the SMTP
 * exchange (the mailer's `SendGuard`), with `status = 'sending'`, and becomes `'sent'` after the
 * server's reply. A crash before the claim commits leaves the server with an unfinished message,
 * which it drops, and no row: the redelivery sends. A crash after it finds the final `.` already
 * on its way and the row there: the redelivery does not send again. Two deliveries of one event
 * (another instance, a retry) meet at the row's primary key; the loser abandons its copy.
 */
export function onOrderFinished(db: Database<NotificationsDb>, mailer: Mailer, opts: OrderFinishedOptions = {}) {
  const graceMs = opts.claimGraceMs ?? DEFAULT_CLAIM_GRACE_MS;
  const now = opts.now ?? Date.now;
  return async (m: DeliveredMessage): Promise<void> => {
    const d = m.data as (OrderConfirmed & OrderCancelled) | null;
    if (!d || typeof d.orderId !== 'string' || typeof d.customerEmail !== 'string') {
      throw notificationErrors.create('NOTIFICATION_BAD_EVENT', `${m.type} without orderId or customerEmail`);
    }
    const outcome = m.type === 'OrderConfirmed' ? 'confirmed' : 'cancelled';
    const mail = outcome === 'confirmed' ? confirmationMail(d) : cancellationMail(d);
    const row = await db.db.selectFrom('emails').select(['status', 'sent_at']).where('order_id', '=', d.orderId).where('outcome', '=', outcome).executeTakeFirst();
    if (row?.status === 'sending') {
      const age = now() - Date.parse(row.sent_at);
      if (age < graceMs) {
        // Retried without spending an attempt (an outage code): the claimant may still be at it.
        throw resilienceErrors.create('DEPENDENCY_UNAVAILABLE', `<${mail.messageId}> was claimed ${Math.round(age)} ms ago by another send; retry once that one has finished`);
      }
      opts.logger?.warn(
        { order_id: d.orderId, outcome, message_id: mail.messageId, claimed_ms_ago: Math.round(age) },
        'mail claimed by a sender that did not finish: taken as sent, not sent again (the mail server log shows whether it arrived)',
      );
    } else if (!row) {
      const guard: SendGuard = {
        accept: async () => {
          faultPoint('mail.before-claim');
          const r = await db.db
            .insertInto('emails')
            .values({ order_id: d.orderId, outcome, message_id: mail.messageId, recipient: mail.to, status: 'sending', sent_at: new Date(now()).toISOString() })
            .onConflict((oc) => oc.columns(['order_id', 'outcome']).doNothing())
            .executeTakeFirst();
          return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
        },
        release: async () => {
          try {
            await db.db.deleteFrom('emails').where('order_id', '=', d.orderId).where('outcome', '=', outcome).where('status', '=', 'sending').execute();
          } catch (error) {
            // The claim stays: after the grace this mail counts as sent although the server refused it.
            opts.logger?.error({ order_id: d.orderId, outcome, message_id: mail.messageId, err: error }, 'mail refused after its claim and the claim could not be released: it will not be resent');
            throw error;
          }
        },
      };
      if (!(await mailer.send(mail, guard))) {
        throw resilienceErrors.create('DEPENDENCY_UNAVAILABLE', `<${mail.messageId}> was claimed by another send in the meantime; retry once that one has finished`);
      }
      faultPoint('mail.after-reply-before-record');
    }
    // Sent now, sent before, or claimed by a sender that died after its claim: recorded as sent,
    // with the inbox record, in one transaction sent in one go (one round trip on PostgreSQL).
    await db.writeTogether([
      db.db.updateTable('emails').set({ status: 'sent' }).where('order_id', '=', d.orderId).where('outcome', '=', outcome).compile(),
      inboxInsert(db.db, CONSUMER, m.id)
        .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
        .compile(),
    ]);
  };
}
