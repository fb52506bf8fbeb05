import type { Kysely } from 'kysely';
import type { OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import { appendToOutbox, claimInbox, type Cache, type Database, type DeliveredMessage } from '@orderflow/platform';
import type { InventoryDb } from './schema.ts';
import { mergeLines, planReservation, type ProductRow } from './reserve.ts';
import { inventoryErrors } from './errors.ts';
import { productKey } from './routes.ts';

/** Drops the cached products whose stock a commit changed. */
async function invalidate(cache: Cache, skus: readonly string[]): Promise<void> {
  for (const sku of skus) await cache.invalidate(productKey(sku));
}

const CONSUMER = 'inventory';

function assertOrderPlaced(d: unknown): asserts d is OrderPlaced {
  const o = d as OrderPlaced;
  if (!o || typeof o.orderId !== 'string' || !Array.isArray(o.items) || o.items.length === 0 ||
    !o.items.every((i) => typeof i?.sku === 'string' && Number.isInteger(i.quantity) && i.quantity > 0)) {
    throw inventoryErrors.create('INVENTORY_BAD_EVENT', 'OrderPlaced without a valid orderId and items');
  }
}

/** Reserves every line of the order or none; replies StockReserved (priced) or StockReservationFailed. */
export function onOrderPlaced(db: Database<InventoryDb>, cache: Cache) {
  return async (m: DeliveredMessage): Promise<void> => {
    assertOrderPlaced(m.data);
    const order = m.data;
    const changed = await db.transaction(async (trx): Promise<string[]> => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return [];
      const existing = await trx.selectFrom('reservations').select('status').where('order_id', '=', order.orderId).executeTakeFirst();
      if (existing) return []; // cancelled before we got here (tombstone), or already decided
      const skus = mergeLines(order.items).map((l) => l.sku);
      const rows = await trx.selectFrom('products').select(['sku', 'price_cents', 'currency', 'stock']).where('sku', 'in', skus).execute();
      const plan = planReservation(order.items, new Map(rows.map((r) => [r.sku, r as ProductRow])));
      const now = new Date().toISOString();
      if (!plan.ok) {
        await trx
          .insertInto('reservations')
          .values({ order_id: order.orderId, status: 'rejected', lines: '[]', total_cents: 0, currency: '', updated_at: now })
          .execute();
        await appendToOutbox(trx, [{ type: 'StockReservationFailed', key: order.orderId, data: { orderId: order.orderId, ...plan.error } }]);
        return [];
      }
      for (const line of plan.value.lines) {
        // The guard in the WHERE makes the decrement atomic even with several writers (Postgres).
        const r = await trx
          .updateTable('products')
          .set((eb) => ({ stock: eb('stock', '-', line.quantity), updated_at: now }))
          .where('sku', '=', line.sku)
          .where('stock', '>=', line.quantity)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new Error(`stock of ${line.sku} changed under the reservation; retrying`);
      }
      await trx
        .insertInto('reservations')
        .values({
          order_id: order.orderId,
          status: 'reserved',
          lines: JSON.stringify(plan.value.lines),
          total_cents: plan.value.totalCents,
          currency: plan.value.currency,
          updated_at: now,
        })
        .execute();
      await appendToOutbox(trx, [{ type: 'StockReserved', key: order.orderId, data: { orderId: order.orderId, ...plan.value } }]);
      return plan.value.lines.map((l) => l.sku);
    });
    await invalidate(cache, changed);
  };
}

/** Gives reserved stock back; if the reservation has not happened yet, leaves a tombstone so it never will. */
export function onOrderCancelled(db: Database<InventoryDb>, cache: Cache) {
  return async (m: DeliveredMessage): Promise<void> => {
    const data = m.data as OrderCancelled;
    if (!data || typeof data.orderId !== 'string') throw inventoryErrors.create('INVENTORY_BAD_EVENT', 'OrderCancelled without orderId');
    const changed = await db.transaction(async (trx) => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return [];
      return releaseReservation(trx, data.orderId);
    });
    await invalidate(cache, changed);
  };
}

/** Returns the skus whose stock came back. */
async function releaseReservation(trx: Kysely<InventoryDb>, orderId: string): Promise<string[]> {
  const now = new Date().toISOString();
  const res = await trx.selectFrom('reservations').selectAll().where('order_id', '=', orderId).executeTakeFirst();
  if (!res) {
    await trx.insertInto('reservations').values({ order_id: orderId, status: 'cancelled', lines: '[]', total_cents: 0, currency: '', updated_at: now }).execute();
    return [];
  }
  if (res.status !== 'reserved') return [];
  const lines = JSON.parse(res.lines) as Array<{ sku: string; quantity: number }>;
  for (const l of lines) {
    await trx
      .updateTable('products')
      .set((eb) => ({ stock: eb('stock', '+', l.quantity), updated_at: now }))
      .where('sku', '=', l.sku)
      .execute();
  }
  await trx.updateTable('reservations').set({ status: 'released', updated_at: now }).where('order_id', '=', orderId).execute();
  await appendToOutbox(trx, [{ type: 'StockReleased', key: orderId, data: { orderId } }]);
  return lines.map((l) => l.sku);
}
