import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, openSqliteDatabase, platformMigrations } from '@orderflow/platform';
import { ordersMigrations, type OrdersDb } from './schema.ts';
import { createIntake } from './intake.ts';
import { applyToOrder } from './apply.ts';
import { readModelMigration } from './read-model.ts';
import { paymentDeadlineMigration, startPaymentDeadlineSweep } from './payment-deadline.ts';

const pricing = { lines: [{ sku: 'tea', quantity: 1, unitPriceCents: 500 }], totalCents: 500, currency: 'EUR' };

test('an order awaiting payment past the deadline is cancelled with payment_failed; others are left alone', async () => {
  const db = await openSqliteDatabase<OrdersDb>({ file: ':memory:', migrations: [...platformMigrations, ...ordersMigrations, paymentDeadlineMigration, readModelMigration] });
  await db.db.insertInto('customers').values({ id: 'c1', email: 'a@example.com', name: 'A', created_at: 'now' }).execute();
  await db.db.insertInto('catalog').values({ sku: 'tea', updated_at: 'now' }).execute();
  const place = createIntake(db);
  const ids: string[] = [];
  for (const key of ['k1', 'k2', 'k3']) ids.push(((await place('c1', key, { items: [{ sku: 'tea', quantity: 1 }], paymentMethod: 'pm_card_visa' })).body as { id: string }).id);
  const [overdue, confirmed, pending] = ids as [string, string, string];
  for (const id of [overdue, confirmed]) await db.transaction((trx) => applyToOrder(trx, id, { type: 'StockReserved', pricing }));
  await db.transaction((trx) => applyToOrder(trx, confirmed, { type: 'PaymentSucceeded', paymentIntentId: 'pi_1' }));
  await db.db.deleteFrom('outbox').execute();

  const sweep = startPaymentDeadlineSweep({ db, logger: createLogger({ level: 'silent' }), deadlineMs: 60_000, sweepMs: 3_600_000 });
  assert.deepEqual(await sweep.sweepOnce(new Date(Date.now() + 30_000)), [], 'not overdue yet');
  assert.deepEqual(await sweep.sweepOnce(new Date(Date.now() + 61_000)), [overdue]);
  sweep.stop();

  const rows = Object.fromEntries((await db.db.selectFrom('orders').select(['id', 'status', 'cancellation_reason']).execute()).map((r) => [r.id, r]));
  assert.equal(rows[overdue]!.status, 'cancelled');
  assert.equal(rows[overdue]!.cancellation_reason, 'payment_failed');
  assert.equal(rows[confirmed]!.status, 'confirmed');
  assert.equal(rows[pending]!.status, 'pending');
  const views = Object.fromEntries((await db.db.selectFrom('order_views').select(['id', 'status']).execute()).map((r) => [r.id, r.status]));
  assert.deepEqual(views, { [overdue]: 'cancelled', [confirmed]: 'confirmed', [pending]: 'pending' }, 'each view changes with its order');
  const events = await db.db.selectFrom('outbox').select(['type', 'key']).execute();
  assert.deepEqual(events, [{ type: 'OrderCancelled', key: overdue }], 'stock release and refund follow from OrderCancelled');
  await db.close();
});
