import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteDatabase, platformMigrations } from '@orderflow/platform';
import { ordersMigrations, type OrdersDb } from './schema.ts';
import { readModelMigration, viewsInStepMigration } from './read-model.ts';

const order = (id: string, status: string, updatedAt: string) => ({
  id,
  customer_id: 'c1',
  status,
  cancellation_reason: null,
  items: '[{"sku":"tea","quantity":1}]',
  priced_lines: null,
  total_cents: null,
  currency: null,
  payment_method: 'pm_card_visa',
  payment_intent_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: updatedAt,
});

test('views left behind by the old projection consumer are brought in step by the migration', async () => {
  const db = await openSqliteDatabase<OrdersDb>({ file: ':memory:', migrations: [...platformMigrations, ...ordersMigrations, readModelMigration] });
  await db.db.insertInto('customers').values({ id: 'c1', email: 'a@example.com', name: 'A', created_at: 'now' }).execute();
  // o1: view behind its order; o2: no view yet; o3: in step.
  await db.db.insertInto('orders').values([order('o1', 'confirmed', '2026-01-01T00:00:02.000Z'), order('o2', 'pending', '2026-01-01T00:00:01.000Z'), order('o3', 'pending', '2026-01-01T00:00:01.000Z')]).execute();
  await db.db.insertInto('order_views').values([
    { id: 'o1', customer_id: 'c1', status: 'pending', view: '{}', updated_at: '2026-01-01T00:00:01.000Z' },
    { id: 'o3', customer_id: 'c1', status: 'pending', view: '{"kept":true}', updated_at: '2026-01-01T00:00:01.000Z' },
  ]).execute();
  await viewsInStepMigration.up(db.db, 'sqlite');
  const views = Object.fromEntries((await db.db.selectFrom('order_views').select(['id', 'status', 'view']).execute()).map((v) => [v.id, v]));
  assert.equal(views.o1!.status, 'confirmed');
  assert.equal(JSON.parse(views.o1!.view).status, 'confirmed');
  assert.equal(views.o2!.status, 'pending');
  assert.equal(JSON.parse(views.o2!.view).id, 'o2');
  assert.equal(views.o3!.view, '{"kept":true}', 'a view in step is not rewritten');
  await db.close();
});
