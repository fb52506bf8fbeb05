import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createUncached, ensureServiceDatabase, openPostgresDatabase, openSqliteDatabase, platformMigrations, type Database, type DeliveredMessage } from '@orderflow/platform';
import { PG_ADMIN_URL, dropPgPrefix, runId } from '../../../test/support/distributed.ts';
import { inventoryMigrations, type InventoryDb } from './schema.ts';
import { onOrderPlaced } from './handlers.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));
const migrations = [...platformMigrations, ...inventoryMigrations];
const cache = createUncached('products');

const databases: Record<string, (name: string) => Promise<Database<InventoryDb>>> = {
  SQLite: () => openSqliteDatabase<InventoryDb>({ file: ':memory:', migrations }),
  PostgreSQL: async (name) => {
    const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}${name}`, role: `${prefix}${name}` });
    return openPostgresDatabase<InventoryDb>({ url, migrations, poolSize: 4 });
  },
};

const placed = (id: string, orderId: string, quantity: number): DeliveredMessage => ({
  id,
  type: 'OrderPlaced',
  version: 1,
  source: 'orders',
  subject: 'orders.OrderPlaced',
  key: orderId,
  occurredAt: new Date().toISOString(),
  data: { orderId, customerId: 'c1', items: [{ sku: 'tea', quantity }], paymentMethod: 'pm_card_visa' },
  headers: {},
  attempt: 1,
});

async function withStock(open: () => Promise<Database<InventoryDb>>, stock: number) {
  const db = await open();
  await db.db.insertInto('products').values({ sku: 'tea', name: 'Tea', price_cents: 350, currency: 'EUR', stock, updated_at: 'now' }).execute();
  const state = async () => ({
    stock: (await db.db.selectFrom('products').select('stock').where('sku', '=', 'tea').executeTakeFirstOrThrow()).stock,
    reservations: (await db.db.selectFrom('reservations').select(['order_id', 'status']).orderBy('order_id').execute()).map((r) => `${r.order_id}:${r.status}`),
    events: (await db.db.selectFrom('outbox').select('type').orderBy('seq').execute()).map((r) => r.type),
    inbox: (await db.db.selectFrom('inbox').select('message_id').orderBy('message_id').execute()).map((r) => r.message_id),
  });
  return { db, state };
}

for (const [dialect, open] of Object.entries(databases)) {
  test(`${dialect}: a reservation takes the stock, records it and replies once, however often the message comes`, async () => {
    const { db, state } = await withStock(() => open('reserve'), 10);
    try {
      const handle = onOrderPlaced(db, cache);
      await handle(placed('m1', 'o1', 3));
      await handle(placed('m1', 'o1', 3));
      assert.deepEqual(await state(), { stock: 7, reservations: ['o1:reserved'], events: ['StockReserved'], inbox: ['m1'] });
    } finally {
      await db.close();
    }
  });

  test(`${dialect}: stock taken between the reservation's read and its write fails the quick write whole; the transaction path then decides on what is left`, async () => {
    const { db, state } = await withStock(() => open('raced'), 10);
    try {
      let raced = false;
      const racing: Database<InventoryDb> = {
        ...db,
        writeTogether: async (statements) => {
          if (!raced) {
            raced = true; // another reservation commits first and leaves 1
            await db.db.updateTable('products').set({ stock: 1 }).where('sku', '=', 'tea').execute();
          }
          return db.writeTogether(statements);
        },
      };
      await onOrderPlaced(racing, cache)(placed('m1', 'o1', 3));
      assert.equal(raced, true);
      assert.deepEqual(await state(), { stock: 1, reservations: ['o1:rejected'], events: ['StockReservationFailed'], inbox: ['m1'] });
    } finally {
      await db.close();
    }
  });
}

test('PostgreSQL: 40 orders of one unit each, handled at once by two instances over stock 5, reserve exactly 5', async () => {
  const { db, state } = await withStock(() => databases.PostgreSQL!('oversell'), 5);
  const other = await databases.PostgreSQL!('oversell');
  try {
    const handlers = [onOrderPlaced(db, cache), onOrderPlaced(other, cache)];
    await Promise.all(Array.from({ length: 40 }, (_, i) => handlers[i % 2]!(placed(`m${String(i).padStart(2, '0')}`, `o${String(i).padStart(2, '0')}`, 1))));
    const s = await state();
    assert.equal(s.stock, 0);
    assert.equal(s.reservations.filter((r) => r.endsWith(':reserved')).length, 5);
    assert.equal(s.reservations.filter((r) => r.endsWith(':rejected')).length, 35);
    assert.equal(s.events.filter((e) => e === 'StockReserved').length, 5);
    assert.equal(s.events.length, 40);
    assert.equal(s.inbox.length, 40);
  } finally {
    await other.close();
    await db.close();
  }
});
