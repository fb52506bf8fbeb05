import type { Kysely } from 'kysely';
import type { OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import { appendToOutbox, claimInbox, inboxInsert, outboxInsert, type Cache, type Database, type DeliveredMessage, type NewEvent } from '@orderflow/platform';
import type { InventoryDb } from './schema.ts';
import { mergeLines, planReservation, type ProductRow, type ReservationPlan } from './reserve.ts';
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
    const quick = await reserveTogether(db, m.id, order);
    if (quick) return invalidate(cache, quick);
    const changed = await db.transaction(async (trx): Promise<string[]> => {
      if (!(await claimInbox(trx, CONSUMER, m.id))) return [];
      const existing = await trx.selectFrom('reservations').select('status').where('order_id', '=', order.orderId).executeTakeFirst();
      if (existing) return []; // cancelled before we got here (tombstone), or already decided
      const plan = planReservation(order.items, await loadProducts(trx, order));
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
        const r = await takeStock(trx, line, now).where('stock', '>=', line.quantity).executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new Error(`stock of ${line.sku} changed under the reservation; retrying`);
      }
      await reservedRow(trx, order.orderId, plan.value, now).execute();
      await appendToOutbox(trx, [reservedEvent(order.orderId, plan.value)]);
      return plan.value.lines.map((l) => l.sku);
    });
    await invalidate(cache, changed);
  };
}

/**
 * The reservation the quick way, for an order with stock for every line: two reads, then the inbox
 * record, the stock taken, the reservation and its StockReserved event sent together
 * (`writeTogether`: one round trip on PostgreSQL, so a product's row is locked only while the
 * server runs them, not across a process's waits). The stock's `check (stock >= 0)` is the guard:
 * stock taken since the read fails the whole batch. Returns the skus whose stock it took, or
 * undefined when the transaction path must decide: a reservation or tombstone exists, the order
 * cannot be served, the message was processed already (the inbox record's unique violation), or
 * the stock or the reservation changed since the read.
 */
async function reserveTogether(db: Database<InventoryDb>, messageId: string, order: OrderPlaced): Promise<string[] | undefined> {
  const k = db.db;
  if (await k.selectFrom('reservations').select('status').where('order_id', '=', order.orderId).executeTakeFirst()) return undefined;
  const plan = planReservation(order.items, await loadProducts(k, order));
  if (!plan.ok) return undefined;
  const now = new Date().toISOString();
  try {
    await db.writeTogether([
      inboxInsert(k, CONSUMER, messageId).compile(),
      ...plan.value.lines.map((line) => takeStock(k, line, now).compile()),
      reservedRow(k, order.orderId, plan.value, now).compile(),
      outboxInsert(k, [reservedEvent(order.orderId, plan.value)]).insert.compile(),
    ]);
  } catch {
    return undefined;
  }
  return plan.value.lines.map((l) => l.sku);
}

async function loadProducts(k: Kysely<InventoryDb>, order: OrderPlaced): Promise<Map<string, ProductRow>> {
  const skus = mergeLines(order.items).map((l) => l.sku);
  const rows = await k.selectFrom('products').select(['sku', 'price_cents', 'currency', 'stock']).where('sku', 'in', skus).execute();
  return new Map(rows.map((r) => [r.sku, r as ProductRow]));
}

const takeStock = (k: Kysely<InventoryDb>, line: { sku: string; quantity: number }, now: string) =>
  k
    .updateTable('products')
    .set((eb) => ({ stock: eb('stock', '-', line.quantity), updated_at: now }))
    .where('sku', '=', line.sku);

const reservedRow = (k: Kysely<InventoryDb>, orderId: string, r: ReservationPlan, now: string) =>
  k.insertInto('reservations').values({ order_id: orderId, status: 'reserved', lines: JSON.stringify(r.lines), total_cents: r.totalCents, currency: r.currency, updated_at: now });

const reservedEvent = (orderId: string, r: ReservationPlan): NewEvent<'StockReserved'> => ({ type: 'StockReserved', key: orderId, data: { orderId, ...r } });

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
