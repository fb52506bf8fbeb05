import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureServiceDatabase, openPostgresDatabase, platformMigrations, type Database } from '@orderflow/platform';
import { PG_ADMIN_URL, dropPgPrefix, runId } from '../../../test/support/distributed.ts';
import { ordersMigrations, type OrdersDb } from './schema.ts';
import { createIntake } from './intake.ts';
import { readModelMigration, viewsInStepMigration } from './read-model.ts';
import { toView } from './repository.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));

async function setup(name: string): Promise<Database<OrdersDb>> {
  const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}${name}`, role: `${prefix}${name}` });
  const db = await openPostgresDatabase<OrdersDb>({ url, migrations: [...platformMigrations, ...ordersMigrations, readModelMigration, viewsInStepMigration], poolSize: 4 });
  await db.db.insertInto('customers').values([{ id: 'c1', email: 'a@example.com', name: 'A', created_at: 'now' }, { id: 'c2', email: 'b@example.com', name: 'B', created_at: 'now' }]).execute();
  await db.db.insertInto('catalog').values({ sku: 'tea', updated_at: 'now' }).execute();
  return db;
}

const body = (quantity: number) => ({ items: [{ sku: 'tea', quantity }], paymentMethod: 'pm_card_visa' });

test('group commit on PostgreSQL: the orders that arrive together share a transaction, each accepted order written with its view, key and event; a taken key writes nothing new', async () => {
  const db = await setup('batch');
  try {
    // Another instance already took c1/k3 (its own intake, same database).
    const other = createIntake(db);
    const earlier = await other('c1', 'k3', body(3));
    let transactions = 0;
    let together = 0;
    const counted: Database<OrdersDb> = { ...db, transaction: (fn) => (transactions++, db.transaction(fn)), writeTogether: (s) => (together++, db.writeTogether(s)) };
    const place = createIntake(counted, { maxBatch: 64 });
    await place('c2', 'warm', body(1)); // the catalog's answer for tea is remembered from here on
    transactions = 0;
    together = 0;
    const requests = [1, 2, 3, 4, 5, 6].map((n) => place(n % 2 ? 'c1' : 'c2', `k${n}`, body(n)));
    const answers = await Promise.all(requests);
    // The first alone, the other five in one go, which the taken key fails: then once more in one transaction.
    assert.ok(together <= 2 && transactions <= 1, `six orders arriving together share transactions (${together} sent in one go, ${transactions} more)`);
    assert.deepEqual(answers.map((a) => a.replayed), [false, false, true, false, false, false]);
    assert.deepEqual(answers[2]!.body, earlier.body, 'the taken key answers as its first request did');

    const orders = await db.db.selectFrom('orders').selectAll().orderBy('id').execute();
    assert.equal(orders.length, 7, 'five new orders, the earlier one and the first');
    const views = await db.db.selectFrom('order_views').selectAll().orderBy('id').execute();
    assert.deepEqual(views.map((v) => [v.id, v.customer_id, v.status, JSON.parse(v.view)]), orders.map((o) => [o.id, o.customer_id, 'pending', toView(o)]));
    for (const a of answers) assert.ok(orders.some((o) => o.id === (a.body as { id: string }).id));
    const keys = await db.db.selectFrom('idempotency_keys').selectAll().execute();
    assert.equal(keys.length, 7);
    for (const k of keys) {
      const order = orders.find((o) => o.id === (JSON.parse(k.response) as { id: string }).id)!;
      assert.equal(order.customer_id, k.customer_id, `key ${k.key} belongs to its order's customer`);
      assert.equal(k.status_code, 202);
    }
    const events = await db.db.selectFrom('outbox').selectAll().orderBy('seq').execute();
    assert.equal(events.length, 7, 'one OrderPlaced per order, none for the replay');
    assert.deepEqual(new Set(events.map((e) => e.key)), new Set(orders.map((o) => o.id)));
    for (const e of events) {
      assert.equal(e.type, 'OrderPlaced');
      const data = JSON.parse(e.data) as { orderId: string; items: unknown };
      assert.deepEqual(data.items, JSON.parse(orders.find((o) => o.id === data.orderId)!.items));
    }
    // The same key again, from the batching intake: a replay, nothing written.
    const again = await place('c2', 'k2', body(2));
    assert.equal(again.replayed, true);
    assert.deepEqual(again.body, answers[1]!.body);
    assert.equal((await db.db.selectFrom('orders').select('id').execute()).length, 7);
  } finally {
    await db.close();
  }
});

test('group commit on PostgreSQL: a batch that fails is written again order by order, and only the failing order fails', async () => {
  const db = await setup('fallback');
  try {
    const place = createIntake(db, { maxBatch: 64 });
    // c9 does not exist: its order breaks the orders' foreign key, and with it the first batch.
    const results = await Promise.allSettled([place('c1', 'a', body(1)), place('c9', 'b', body(1)), place('c2', 'c', body(1))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    const orders = await db.db.selectFrom('orders').select('customer_id').orderBy('customer_id').execute();
    assert.deepEqual(orders.map((o) => o.customer_id), ['c1', 'c2']);
    assert.equal((await db.db.selectFrom('outbox').select('id').execute()).length, 2);
    assert.equal((await db.db.selectFrom('idempotency_keys').select('key').execute()).length, 2, 'the failed order keeps no key: a retry may succeed');
  } finally {
    await db.close();
  }
});
