import type { Kysely } from 'kysely';
import type { OrderCancelled, PaymentRequested, RefundRequired } from '@orderflow/contracts';
import { appendToOutbox, claimInbox, inboxHas, inboxInsert, isNonRetryable, outboxInsert, type Database, type DeliveredMessage, type NewEvent } from '@orderflow/platform';
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
    let result: ChargeOutcome;
    try {
      result = await provider.charge({ orderId: req.orderId, amountCents: req.amountCents, currency: req.currency, paymentMethod: req.paymentMethod, idempotencyKey: chargeKey(req.orderId) });
    } catch (error) {
      if (!isNonRetryable(error)) throw error; // the broker redelivers with backoff; same key, same charge
      const e = error as { code?: string; message?: string };
      result = { outcome: 'failed', code: e.code ?? 'PAYMENT_PROVIDER_REJECTED', message: e.message ?? 'rejected' };
    }
    // The row read before the call still holds unless a cancel came meanwhile, which the guard catches.
    if (await recordChargeTogether(db, m.id, req, result, before?.cancelled ?? 0)) return;
    await db.transaction(async (trx) => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return;
      const current = await row(trx, req.orderId);
      const { values, event } = chargeRecord(req, result, current?.cancelled ?? 0);
      await upsertPayment(trx, values).execute();
      await appendToOutbox(trx, [event]);
    });
  };
}

type ChargeOutcome = ChargeResult | { outcome: 'failed'; code: string; message: string };

/** The payment row a charge's outcome writes and the event it replies with, given whether the order was cancelled meanwhile. */
function chargeRecord(req: PaymentRequested, result: ChargeOutcome, cancelled: number) {
  const status = result.outcome === 'succeeded' ? (cancelled ? 'refund_pending' : 'succeeded') : result.outcome;
  const values = {
    order_id: req.orderId,
    status,
    amount_cents: req.amountCents,
    currency: req.currency,
    payment_intent_id: result.outcome === 'succeeded' ? result.paymentIntentId : null,
    cancelled,
    refund_id: null,
    updated_at: new Date().toISOString(),
  };
  const orderId = req.orderId;
  const event: NewEvent =
    result.outcome === 'succeeded'
      ? cancelled
        ? // Cancelled while the charge was in flight: compensate instead of confirming.
          { type: 'RefundRequired', key: orderId, data: { orderId, paymentIntentId: result.paymentIntentId } }
        : { type: 'PaymentSucceeded', key: orderId, data: { orderId, paymentIntentId: result.paymentIntentId, amountCents: result.amountCents, currency: result.currency } }
      : result.outcome === 'declined'
        ? { type: 'PaymentDeclined', key: orderId, data: { orderId, code: result.code } }
        : { type: 'PaymentFailed', key: orderId, data: { orderId, code: result.code, message: result.message } };
  return { values, event };
}

type PaymentValues = ReturnType<typeof chargeRecord>['values'];

/**
 * The payment row written over whatever is there. With `guardCancelled`, a row whose `cancelled`
 * is not that value gets a null status, which the column refuses: the write fails instead of
 * deciding on a cancel it did not see.
 */
function upsertPayment(k: Kysely<PaymentsDb>, values: PaymentValues, guardCancelled?: number) {
  return k
    .insertInto('payments')
    .values(values)
    .onConflict((oc) =>
      oc.column('order_id').doUpdateSet((eb) => ({
        status:
          guardCancelled === undefined
            ? values.status
            : (eb.case().when('payments.cancelled', '=', guardCancelled).then(values.status).else(null).end() as unknown as string),
        payment_intent_id: values.payment_intent_id,
        amount_cents: values.amount_cents,
        currency: values.currency,
        updated_at: values.updated_at,
      })),
    );
}

/**
 * The charge's outcome recorded the quick way: the inbox record, the payment row (guarded on the
 * `cancelled` read before the call) and the reply sent together (`writeTogether`: one round trip
 * on PostgreSQL instead of six). False when the batch failed — the message was processed already
 * (the inbox record's unique violation), or a cancel arrived during the call (the guard) — and
 * the transaction path must decide.
 */
async function recordChargeTogether(db: Database<PaymentsDb>, messageId: string, req: PaymentRequested, result: ChargeOutcome, cancelled: number): Promise<boolean> {
  const { values, event } = chargeRecord(req, result, cancelled);
  try {
    await db.writeTogether([inboxInsert(db.db, CONSUMER, messageId).compile(), upsertPayment(db.db, values, cancelled).compile(), outboxInsert(db.db, [event]).insert.compile()]);
    return true;
  } catch {
    return false;
  }
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
