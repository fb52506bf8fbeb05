import type { PaymentDeclined, PaymentFailed, PaymentSucceeded, ProductUpserted, StockReservationFailed, StockReserved } from '@orderflow/contracts';
import { claimInbox, type Cache, type Database, type DeliveredMessage, type Logger } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import type { OrderInput } from './order.ts';
import { applyReplyTogether, applyToOrder } from './apply.ts';
import { orderErrors } from './errors.ts';
import { orderKey } from './read-model.ts';

const CONSUMER = 'orders';

/** Maps a saga reply to the state machine's input. @throws ORDER_BAD_EVENT (not retried) on a malformed event. */
export function toInput(m: DeliveredMessage): { orderId: string; input: OrderInput } {
  const d = m.data as { orderId?: unknown } | null;
  if (!d || typeof d.orderId !== 'string') throw orderErrors.create('ORDER_BAD_EVENT', `${m.type} without orderId`);
  switch (m.type) {
    case 'StockReserved': {
      const s = d as StockReserved;
      if (!Array.isArray(s.lines) || !Number.isInteger(s.totalCents) || typeof s.currency !== 'string') throw orderErrors.create('ORDER_BAD_EVENT', 'StockReserved without pricing');
      return { orderId: s.orderId, input: { type: 'StockReserved', pricing: { lines: s.lines, totalCents: s.totalCents, currency: s.currency } } };
    }
    case 'StockReservationFailed':
      return { orderId: (d as StockReservationFailed).orderId, input: { type: 'StockReservationFailed' } };
    case 'PaymentSucceeded': {
      const s = d as PaymentSucceeded;
      if (typeof s.paymentIntentId !== 'string') throw orderErrors.create('ORDER_BAD_EVENT', 'PaymentSucceeded without paymentIntentId');
      return { orderId: s.orderId, input: { type: 'PaymentSucceeded', paymentIntentId: s.paymentIntentId } };
    }
    case 'PaymentDeclined':
      return { orderId: (d as PaymentDeclined).orderId, input: { type: 'PaymentDeclined' } };
    case 'PaymentFailed':
      return { orderId: (d as PaymentFailed).orderId, input: { type: 'PaymentFailed' } };
  }
  throw orderErrors.create('ORDER_BAD_EVENT', `orders does not handle ${m.type}`);
}

/** Drives the saga: each reply moves the order through its state machine, once (inbox). */
export function onSagaReply(db: Database<OrdersDb>, log: Logger, cache: Cache) {
  return async (m: DeliveredMessage): Promise<void> => {
    const { orderId, input } = toInput(m);
    if (await applyReplyTogether(db, CONSUMER, m.id, orderId, input)) {
      await cache.invalidate(orderKey(orderId));
      return;
    }
    const applied = await db.transaction(async (trx) => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return false;
      const r = await applyToOrder(trx, orderId, input);
      if (!r.ok) {
        // A late reply to a finished order (e.g. payment after a customer cancel): recorded, not applied.
        // Compensation (the refund) is payments' job on OrderCancelled.
        log.info({ order_id: orderId, event: m.type, code: r.error.code }, r.error.message);
      }
      return r.ok;
    });
    if (applied) await cache.invalidate(orderKey(orderId));
  };
}

/** Keeps the local list of orderable skus (event-carried state from inventory). */
export function onProductUpserted(db: Database<OrdersDb>) {
  return async (m: DeliveredMessage): Promise<void> => {
    const d = m.data as ProductUpserted;
    if (!d || typeof d.sku !== 'string') throw orderErrors.create('ORDER_BAD_EVENT', 'ProductUpserted without sku');
    await db.db
      .insertInto('catalog')
      .values({ sku: d.sku, updated_at: m.occurredAt })
      .onConflict((oc) => oc.column('sku').doUpdateSet({ updated_at: m.occurredAt }))
      .execute();
  };
}
