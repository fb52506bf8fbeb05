import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteDatabase, platformMigrations, type Database } from '@orderflow/platform';
import { ordersMigrations, type OrdersDb } from './schema.ts';
import { checkIdempotencyKey, createIntake, fingerprint } from './intake.ts';

async function setup(): Promise<Database<OrdersDb>> {
  const db = await openSqliteDatabase<OrdersDb>({ file: ':memory:', migrations: [...platformMigrations, ...ordersMigrations] });
  await db.db.insertInto('customers').values({ id: 'c1', email: 'a@example.com', name: 'A', created_at: 'now' }).execute();
  await db.db.insertInto('catalog').values({ sku: 'tea', updated_at: 'now' }).execute();
  return db;
}

const body = { items: [{ sku: 'tea', quantity: 1 }], paymentMethod: 'pm_card_visa' };

test('a second request with a key still in flight is refused with IDEMPOTENCY_KEY_IN_FLIGHT', async () => {
  const db = await setup();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // Hold the first request inside its transaction, as a slow commit would.
  const slow: Database<OrdersDb> = { ...db, transaction: async (fn) => db.transaction(async (trx) => { await gate; return fn(trx); }) };
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
