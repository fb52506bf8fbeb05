import type { OrderCancelled, OrderConfirmed } from '@orderflow/contracts';
import { claimInbox, defineErrors, type Database, type DeliveredMessage, type Mailer } from '@orderflow/platform';
import type { NotificationsDb } from './schema.ts';
import { cancellationMail, confirmationMail } from './compose.ts';

export const notificationErrors = defineErrors({
  NOTIFICATION_BAD_EVENT: { status: 500, title: 'Event does not match its contract', retryable: false },
});

const CONSUMER = 'notifications';

/**
 * Sends one mail per order outcome. The `emails` row is written after SMTP accepted the mail;
 * a crash in between resends the same Message-ID (SMTP is at-least-once), never a different mail.
 */
export function onOrderFinished(db: Database<NotificationsDb>, mailer: Mailer) {
  return async (m: DeliveredMessage): Promise<void> => {
    const d = m.data as (OrderConfirmed & OrderCancelled) | null;
    if (!d || typeof d.orderId !== 'string' || typeof d.customerEmail !== 'string') {
      throw notificationErrors.create('NOTIFICATION_BAD_EVENT', `${m.type} without orderId or customerEmail`);
    }
    const outcome = m.type === 'OrderConfirmed' ? 'confirmed' : 'cancelled';
    const sent = await db.db.selectFrom('emails').select('message_id').where('order_id', '=', d.orderId).where('outcome', '=', outcome).executeTakeFirst();
    if (!sent) {
      const mail = outcome === 'confirmed' ? confirmationMail(d) : cancellationMail(d);
      await mailer.send(mail);
      await db.transaction(async (trx) => {
        await claimInbox(trx, CONSUMER, m.id);
        await trx
          .insertInto('emails')
          .values({ order_id: d.orderId, outcome, message_id: mail.messageId, recipient: mail.to, sent_at: new Date().toISOString() })
          .onConflict((oc) => oc.columns(['order_id', 'outcome']).doNothing())
          .execute();
      });
      return;
    }
    await db.transaction(async (trx) => void (await claimInbox(trx, CONSUMER, m.id)));
  };
}
