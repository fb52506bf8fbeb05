import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureServiceDatabase, openPostgresDatabase, openSqliteDatabase, platformMigrations, type Database } from '@orderflow/platform';
import { PG_ADMIN_URL, dropPgPrefix, runId } from '../../../test/support/distributed.ts';
import { ordersMigrations, type OrdersDb } from './schema.ts';
import { createIntake } from './intake.ts';
import { readModelMigration, viewsInStepMigration } from './read-model.ts';
import { applyReplyTogether } from './apply.ts';
import { toView } from './repository.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));
const migrations = [...platformMigrations, ...ordersMigrations, readModelMigration, viewsInStepMigration];

const databases: Record<string, (name: string) => Promise<Database<OrdersDb>>> = {
  SQLite: () => openSqliteDatabase<OrdersDb>({ file: ':memory:', migrations }),
  PostgreSQL: async (name) => {
    const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}${name}`, role: `${prefix}${name}` });
    return openPostgresDatabase<OrdersDb>({ url, migrations, poolSize: 2 });
  },
};

const reserved = { type: 'StockReserved' as const, pricing: { lines: [{ sku: 'tea', quantity: 2, unitPriceCents: 350 }], totalCents: 700, currency: 'EUR' } };

/** A database with one pending order of 2 tea; `writeTogether` runs `before` first, when set. */
async function withOrder(open: () => Promise<Database<OrdersDb>>) {
  const db = await open();
  await db.db.insertInto('customers').values({ id: 'c1', email: 'a@example.com', name: 'A', created_at: 'now' }).execute();
  await db.db.insertInto('catalog').values({ sku: 'tea', updated_at: 'now' }).execute();
  const placed = await createIntake(db)('c1', 'k1', { items: [{ sku: 'tea', quantity: 2 }], paymentMethod: 'pm_card_visa' });
  const orderId = (placed.body as { id: string }).id;
  const hooks: { before?: () => Promise<void> } = {};
  const wrapped: Database<OrdersDb> = {
    ...db,
    writeTogether: async (statements) => {
      await hooks.before?.();
      return db.writeTogether(statements);
    },
  };
  const snapshot = async () => ({
    order: await db.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow(),
    view: JSON.parse((await db.db.selectFrom('order_views').select('view').where('id', '=', orderId).executeTakeFirstOrThrow()).view) as unknown,
    inbox: (await db.db.selectFrom('inbox').select('message_id').execute()).map((r) => r.message_id),
    events: (await db.db.selectFrom('outbox').select('type').orderBy('seq').execute()).map((r) => r.type),
  });
  return { db, wrapped, hooks, orderId, snapshot };
}

for (const [dialect, open] of Object.entries(databases)) {
  test(`${dialect}: a saga reply applied in one go changes the order, its view, the inbox and the outbox together, once`, async () => {
    const { db, wrapped, orderId, snapshot } = await withOrder(() => open('together'));
    try {
      assert.equal(await applyReplyTogether(wrapped, 'orders', 'm1', orderId, reserved), true);
      const s = await snapshot();
      assert.equal(s.order.status, 'awaiting_payment');
      assert.equal(s.order.total_cents, 700);
      assert.deepEqual(s.view, toView(s.order), 'the view is the row as written');
      assert.deepEqual(s.inbox, ['m1']);
      assert.deepEqual(s.events, ['OrderPlaced', 'PaymentRequested']);
      // The same message again: its inbox record fails the batch, nothing is applied twice.
      assert.equal(await applyReplyTogether(wrapped, 'orders', 'm1', orderId, { type: 'PaymentSucceeded', paymentIntentId: 'pi_1' }), false);
      assert.deepEqual(await snapshot(), s);
      // A reply the state machine refuses is left to the transaction path, which records it.
      assert.equal(await applyReplyTogether(wrapped, 'orders', 'm2', orderId, reserved), false);
      assert.deepEqual(await snapshot(), s);
      assert.equal(await applyReplyTogether(wrapped, 'orders', 'm3', 'no-such-order', reserved), false);
    } finally {
      await db.close();
    }
  });

  test(`${dialect}: an order that changed between the read and the write is not overwritten: nothing of the batch is written`, async () => {
    const { db, wrapped, hooks, orderId, snapshot } = await withOrder(() => open('raced'));
    try {
      // A cancel commits after the reply read the order as pending.
      hooks.before = async () => {
        hooks.before = undefined;
        await db.db.updateTable('orders').set({ status: 'cancelled', cancellation_reason: 'customer_request' }).where('id', '=', orderId).execute();
      };
      const before = await snapshot();
      assert.equal(await applyReplyTogether(wrapped, 'orders', 'm1', orderId, reserved), false);
      const s = await snapshot();
      assert.equal(s.order.status, 'cancelled');
      assert.equal(s.order.total_cents, null);
      assert.deepEqual(s.view, before.view, 'the view is not touched');
      assert.deepEqual(s.inbox, [], 'the message is not marked processed: the transaction path will record it');
      assert.deepEqual(s.events, ['OrderPlaced'], 'no PaymentRequested for a cancelled order');
    } finally {
      await db.close();
    }
  });
}
