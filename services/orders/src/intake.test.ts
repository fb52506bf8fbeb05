import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteDatabase, platformMigrations, type Database } from '@orderflow/platform';
import { ordersMigrations, type OrdersDb } from './schema.ts';
import { checkIdempotencyKey, createIntake, fingerprint } from './intake.ts';
import { readModelMigration } from './read-model.ts';

async function setup(): Promise<Database<OrdersDb>> {
  const db = await openSqliteDatabase<OrdersDb>({ file: ':memory:', migrations: [...platformMigrations, ...ordersMigrations, readModelMigration] });
  await db.db.insertInto('customers').values({ id: 'c1', email: 'a@example.com', name: 'A', created_at: 'now' }).execute();
  await db.db.insertInto('catalog').values({ sku: 'tea', updated_at: 'now' }).execute();
  return db;
}

const body = { items: [{ sku: 'tea', quantity: 1 }], paymentMethod: 'pm_card_visa' };

test('a second request with a key still in flight is refused with IDEMPOTENCY_KEY_IN_FLIGHT', async () => {
  const db = await setup();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // Hold the first request before its write, as a slow commit would.
  const slow: Database<OrdersDb> = {
    ...db,
    transaction: async (fn) => db.transaction(async (trx) => { await gate; return fn(trx); }),
    writeTogether: async (statements) => { await gate; return db.writeTogether(statements); },
  };
  const place = createIntake(slow);
  const first = place('c1', 'key-1', body);
  await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(place('c1', 'key-1', body), (e: { code?: string }) => e.code === 'IDEMPOTENCY_KEY_IN_FLIGHT');
  release();
  const r1 = await first;
  assert.equal(r1.statusCode, 202);
  const r2 = await place('c1', 'key-1', body);
  assert.equal(r2.replayed, true);
  assert.deepEqual(r2.body, r1.body);
  const rows = await db.db.selectFrom('orders').selectAll().execute();
  assert.equal(rows.length, 1);
  const outbox = await db.db.selectFrom('outbox').selectAll().execute();
  assert.deepEqual(outbox.map((o) => o.type), ['OrderPlaced'], 'the event is written with the order');
  const views = await db.db.selectFrom('order_views').select(['id', 'status', 'view']).execute();
  assert.deepEqual(views.map((v) => [v.id, v.status, JSON.parse(v.view)]), [[rows[0]!.id, 'pending', r1.body]], 'and its view, in the same transaction');
  await db.close();
});

test('an unknown sku writes nothing: no order, no event, no idempotency record', async () => {
  const db = await setup();
  const place = createIntake(db);
  await assert.rejects(place('c1', 'k', { items: [{ sku: 'nope', quantity: 1 }], paymentMethod: 'pm_card_visa' }), (e: { code?: string }) => e.code === 'ORDER_UNKNOWN_SKU');
  assert.equal((await db.db.selectFrom('orders').selectAll().execute()).length, 0);
  assert.equal((await db.db.selectFrom('outbox').selectAll().execute()).length, 0);
  assert.equal((await db.db.selectFrom('idempotency_keys').selectAll().execute()).length, 0);
  await db.close();
});

test('idempotency keys: 1 to 255 printable characters', () => {
  assert.equal(checkIdempotencyKey('a'.repeat(255)), 'a'.repeat(255));
  assert.throws(() => checkIdempotencyKey(undefined), (e: { code?: string }) => e.code === 'IDEMPOTENCY_KEY_MISSING');
  assert.throws(() => checkIdempotencyKey('a'.repeat(256)), (e: { code?: string }) => e.code === 'IDEMPOTENCY_KEY_INVALID');
  assert.throws(() => checkIdempotencyKey('has space'), (e: { code?: string }) => e.code === 'IDEMPOTENCY_KEY_INVALID');
});

test('the fingerprint sees quantities and payment method, not key order', () => {
  assert.equal(fingerprint(body), fingerprint({ paymentMethod: 'pm_card_visa', items: [{ quantity: 1, sku: 'tea' }] }));
  assert.notEqual(fingerprint(body), fingerprint({ ...body, items: [{ sku: 'tea', quantity: 2 }] }));
  assert.notEqual(fingerprint(body), fingerprint({ ...body, paymentMethod: 'pm_card_chargeDeclined' }));
});

/** A database whose transactions (`transaction` and `writeTogether`, counted apart) are counted and held (they wait before running) until `release()`. */
function heldDb(db: Database<OrdersDb>) {
  let release!: () => void;
  const stats = { transactions: 0, together: 0, hold: new Promise<void>((r) => (release = r)) as Promise<void> | undefined };
  const wrapped: Database<OrdersDb> = {
    ...db,
    transaction: async (fn) => {
      stats.transactions += 1;
      if (stats.hold) await stats.hold;
      return db.transaction(fn);
    },
    writeTogether: async (statements) => {
      stats.together += 1;
      if (stats.hold) await stats.hold;
      return db.writeTogether(statements);
    },
  };
  return {
    wrapped,
    stats,
    release: () => {
      stats.hold = undefined;
      release();
    },
  };
}

test('group commit: orders that arrive while a transaction is in flight share the next one, each written in full', async () => {
  const db = await setup();
  const { wrapped, stats, release } = heldDb(db);
  const place = createIntake(wrapped, { maxBatch: 8 });
  const answers = Array.from({ length: 10 }, (_, i) => place('c1', `gk-${i}`, body));
  await new Promise((r) => setTimeout(r, 20));
  release();
  const results = await Promise.all(answers);
  assert.deepEqual(results.map((r) => r.statusCode), Array(10).fill(202));
  assert.equal(new Set(results.map((r) => (r.body as { id: string }).id)).size, 10);
  // The first order alone, then up to 8, then the rest, each sent in one go.
  assert.equal(stats.together, 3);
  assert.equal(stats.transactions, 0);
  assert.equal((await db.db.selectFrom('orders').selectAll().execute()).length, 10);
  assert.equal((await db.db.selectFrom('idempotency_keys').selectAll().execute()).length, 10);
  const events = await db.db.selectFrom('outbox').select(['type', 'key']).execute();
  assert.deepEqual(new Set(events.map((e) => e.key)), new Set(results.map((r) => (r.body as { id: string }).id)));
  // Each order replays its own answer.
  const again = await place('c1', 'gk-3', body);
  assert.equal(again.replayed, true);
  assert.deepEqual(again.body, results[3]!.body);
  await db.close();
});

test('group commit: a key another instance took meanwhile skips that order alone, which answers as the other did', async () => {
  const db = await setup();
  const { wrapped, stats, release } = heldDb(db);
  const place = createIntake(wrapped, { maxBatch: 8 });
  const first = place('c1', 'first', body);
  await new Promise((r) => setTimeout(r, 5));
  const batch = ['b-0', 'b-1', 'taken', 'b-3'].map((k) => place('c1', k, body));
  await new Promise((r) => setTimeout(r, 20));
  // "Another instance" accepted key `taken` after this one checked for it.
  const otherView = { id: 'other-instance-order', status: 'pending' };
  await db.db.insertInto('idempotency_keys').values({ customer_id: 'c1', key: 'taken', request_hash: fingerprint(body), status_code: 202, response: JSON.stringify(otherView), created_at: 'now' }).execute();
  release();
  await first;
  const results = await Promise.all(batch);
  assert.deepEqual(results.map((r) => r.statusCode), [202, 202, 202, 202]);
  assert.deepEqual(results[2]!.body, otherView);
  assert.equal(results[2]!.replayed, true);
  const orders = await db.db.selectFrom('orders').select('id').execute();
  assert.equal(orders.length, 4, 'first + the three whose keys were free');
  assert.equal((await db.db.selectFrom('outbox').selectAll().execute()).length, 4);
  assert.equal(stats.together, 2, 'the first order, then the batch in one go, which the taken key fails');
  assert.equal(stats.transactions, 1, 'then the batch once more, in one transaction that skips the taken key: no reason to write it order by order');
  await db.close();
});

test('a retry costs no new order, in one transaction per order and in batches alike', async () => {
  for (const maxBatch of [1, 8]) {
    const db = await setup();
    const place = createIntake(db, { maxBatch });
    const first = await place('c1', 'again', body);
    const retries = await Promise.all([place('c1', 'again-2', body), place('c1', 'again', body).catch((e: { code?: string }) => e.code)]);
    assert.equal(retries[0].statusCode, 202);
    const retry = retries[1] as Awaited<ReturnType<typeof place>>;
    assert.equal(retry.replayed, true);
    assert.deepEqual(retry.body, first.body);
    await assert.rejects(place('c1', 'again', { ...body, items: [{ sku: 'tea', quantity: 2 }] }), (e: { code?: string }) => e.code === 'IDEMPOTENCY_KEY_REUSED');
    // The same key with an unknown sku is still a reuse of the key, not an unknown sku.
    await assert.rejects(place('c1', 'again', { ...body, items: [{ sku: 'nope', quantity: 1 }] }), (e: { code?: string }) => e.code === 'IDEMPOTENCY_KEY_REUSED');
    assert.equal((await db.db.selectFrom('orders').selectAll().execute()).length, 2);
    assert.equal((await db.db.selectFrom('outbox').selectAll().execute()).length, 2);
    await db.close();
  }
});

test('the catalog check: a sku found once is not looked up again; one not found is looked up each time', async () => {
  const db = await setup();
  const place = createIntake(db);
  assert.equal((await place('c1', 'k1', body)).statusCode, 202);
  // Products are never deleted; were the row gone, a remembered sku would still pass.
  await db.db.deleteFrom('catalog').where('sku', '=', 'tea').execute();
  assert.equal((await place('c1', 'k2', body)).statusCode, 202);
  const coffee = { ...body, items: [{ sku: 'coffee', quantity: 1 }] };
  await assert.rejects(place('c1', 'k3', coffee), (e: { code?: string }) => e.code === 'ORDER_UNKNOWN_SKU');
  // A product added a moment later is found: misses are not remembered.
  await db.db.insertInto('catalog').values({ sku: 'coffee', updated_at: 'now' }).execute();
  assert.equal((await place('c1', 'k3', coffee)).statusCode, 202);
  await db.close();
});
