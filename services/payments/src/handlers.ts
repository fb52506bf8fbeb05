import type { Kysely } from 'kysely';
import type { OrderCancelled, PaymentRequested, RefundRequired } from '@orderflow/contracts';
import { appendToOutbox, claimInbox, inboxHas, isNonRetryable, type Database, type DeliveredMessage } from '@orderflow/platform';
import type { PaymentProvider, ChargeResult } from '@orderflow/platform';
import type { PaymentsDb } from './schema.ts';
import { chargeKey, refundKey } from './keys.ts';
import { paymentErrors } from './errors.ts';

const CONSUMER = 'payments';

async function row(db: Kysely<PaymentsDb>, orderId: string) {
  return db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

function checkRequest(d: unknown): asserts d is PaymentRequested {
  const p = d as PaymentRequested;
  if (!p || typeof p.orderId !== 'string' || !Number.isInteger(p.amountCents) || p.amountCents < 0 || typeof p.currency !== 'string' || typeof p.paymentMethod !== 'string') {
    throw paymentErrors.create('PAYMENT_BAD_EVENT', 'PaymentRequested without orderId, amountCents, currency or paymentMethod');
  }
}

/**
 * Charges the order's total once. The provider call happens outside any transaction; its
 * idempotency key is derived from the order, so a redelivery after a crash or a timeout asks
 * for the same charge and the provider answers with the first result.
 */
export function onPaymentRequested(db: Database<PaymentsDb>, provider: PaymentProvider) {
  return async (m: DeliveredMessage): Promise<void> => {
    checkRequest(m.data);
    const req = m.data;
    if (await inboxHas(db.db, CONSUMER, m.id)) return;
    const before = await row(db.db, req.orderId);
    if (before?.cancelled === 1 && before.status === 'none') {
      await db.transaction(async (trx) => void (await claimInbox(trx, CONSUMER, m.id)));
      return;
    }
    let result: ChargeResult | { outcome: 'failed'; code: string; message: string };
    try {
      result = await provider.charge({ orderId: req.orderId, amountCents: req.amountCents, currency: req.currency, paymentMethod: req.paymentMethod, idempotencyKey: chargeKey(req.orderId) });
    } catch (error) {
      if (!isNonRetryable(error)) throw error; // the broker redelivers with backoff; same key, same charge
      const e = error as { code?: string; message?: string };
      result = { outcome: 'failed', code: e.code ?? 'PAYMENT_PROVIDER_REJECTED', message: e.message ?? 'rejected' };
    }
    await db.transaction(async (trx) => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return;
      const now = new Date().toISOString();
      const current = await row(trx, req.orderId);
      const cancelled = current?.cancelled ?? 0;
      const status = result.outcome === 'succeeded' ? (cancelled ? 'refund_pending' : 'succeeded') : result.outcome;
      const values = {
        order_id: req.orderId,
        status,
        amount_cents: req.amountCents,
        currency: req.currency,
        payment_intent_id: result.outcome === 'succeeded' ? result.paymentIntentId : null,
        cancelled,
        refund_id: null,
        updated_at: now,
      };
      await trx
        .insertInto('payments')
        .values(values)
        .onConflict((oc) => oc.column('order_id').doUpdateSet({ status, payment_intent_id: values.payment_intent_id, amount_cents: values.amount_cents, currency: values.currency, updated_at: now }))
        .execute();
      if (result.outcome === 'succeeded') {
        if (cancelled) {
          // Cancelled while the charge was in flight: compensate instead of confirming.
          await appendToOutbox(trx, [{ type: 'RefundRequired', key: req.orderId, data: { orderId: req.orderId, paymentIntentId: result.paymentIntentId } }]);
        } else {
          await appendToOutbox(trx, [{ type: 'PaymentSucceeded', key: req.orderId, data: { orderId: req.orderId, paymentIntentId: result.paymentIntentId, amountCents: result.amountCents, currency: result.currency } }]);
        }
      } else if (result.outcome === 'declined') {
        await appendToOutbox(trx, [{ type: 'PaymentDeclined', key: req.orderId, data: { orderId: req.orderId, code: result.code } }]);
      } else {
        await appendToOutbox(trx, [{ type: 'PaymentFailed', key: req.orderId, data: { orderId: req.orderId, code: result.code, message: result.message } }]);
      }
    });
  };
}

/** Marks the order cancelled here; a charge that already succeeded is refunded (via RefundRequired). */
export function onOrderCancelled(db: Database<PaymentsDb>) {
  return async (m: DeliveredMessage): Promise<void> => {
    const d = m.data as OrderCancelled;
    if (!d || typeof d.orderId !== 'string') throw paymentErrors.create('PAYMENT_BAD_EVENT', 'OrderCancelled without orderId');
    await db.transaction(async (trx) => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return;
      const now = new Date().toISOString();
      const current = await row(trx, d.orderId);
      if (!current) {
        await trx.insertInto('payments').values({ order_id: d.orderId, status: 'none', amount_cents: 0, currency: '', payment_intent_id: null, cancelled: 1, refund_id: null, updated_at: now }).execute();
        return;
      }
      await trx.updateTable('payments').set({ cancelled: 1, updated_at: now, ...(current.status === 'succeeded' ? { status: 'refund_pending' } : {}) }).where('order_id', '=', d.orderId).execute();
      if (current.status === 'succeeded' && current.payment_intent_id) {
        await appendToOutbox(trx, [{ type: 'RefundRequired', key: d.orderId, data: { orderId: d.orderId, paymentIntentId: current.payment_intent_id } }]);
      }
    });
  };
}

/** Carries out a refund; retried by the broker until the provider confirms it, once per order. */
export function onRefundRequired(db: Database<PaymentsDb>, provider: PaymentProvider) {
  return async (m: DeliveredMessage): Promise<void> => {
    const d = m.data as RefundRequired;
    if (!d || typeof d.orderId !== 'string' || typeof d.paymentIntentId !== 'string') throw paymentErrors.create('PAYMENT_BAD_EVENT', 'RefundRequired without orderId and paymentIntentId');
    if (await inboxHas(db.db, CONSUMER, m.id)) return;
    const r = await provider.refund({ paymentIntentId: d.paymentIntentId, idempotencyKey: refundKey(d.orderId) });
    await db.transaction(async (trx) => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return;
      await trx.updateTable('payments').set({ status: 'refunded', refund_id: r.refundId, updated_at: new Date().toISOString() }).where('order_id', '=', d.orderId).execute();
      await appendToOutbox(trx, [{ type: 'PaymentRefunded', key: d.orderId, data: { orderId: d.orderId, paymentIntentId: d.paymentIntentId, refundId: r.refundId } }]);
    });
  };
}
