import type { Kysely } from 'kysely';
import type { Migration } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import { toView, type OrderRow, type OrderView } from './repository.ts';

/**
 * `order_views`: the orders as the API shows them (the JSON document ready to send), with indexes
 * that fit the list queries exactly. Ids are UUIDv7, so "newest first" is "id descending".
 */
export const readModelMigration: Migration = {
  name: 'orders-200-read-model',
  async up(db) {
    await db.schema
      .createTable('order_views')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('view', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('order_views_customer_id').on('order_views').columns(['customer_id', 'id']).execute();
    await db.schema.createIndex('order_views_customer_status_id').on('order_views').columns(['customer_id', 'status', 'id']).execute();
    await db.schema.createIndex('order_views_status_id').on('order_views').columns(['status', 'id']).execute();
    // Orders taken before the read model existed, in batches.
    for (let after = ''; ; ) {
      const rows = (await db.selectFrom('orders').selectAll().where('id', '>', after).orderBy('id').limit(1000).execute()) as OrderRow[];
      if (rows.length === 0) break;
      await db.insertInto('order_views').values(rows.map(viewRow)).execute();
      after = rows[rows.length - 1]!.id;
    }
  },
};

/**
 * Views were once written by a consumer of the orders' events, a moment after each change: any
 * order whose last change had not been projected yet is brought in step, in batches.
 */
export const viewsInStepMigration: Migration = {
  name: 'orders-201-views-in-step',
  async up(db) {
    for (let after = ''; ; ) {
      const rows = (await db
        .selectFrom('orders')
        .leftJoin('order_views', 'order_views.id', 'orders.id')
        .selectAll('orders')
        .where('orders.id', '>', after)
        .where((eb) => eb.or([eb('order_views.id', 'is', null), eb('order_views.updated_at', '<', eb.ref('orders.updated_at'))]))
        .orderBy('orders.id')
        .limit(1000)
        .execute()) as OrderRow[];
      if (rows.length === 0) break;
      await saveViews(db as Kysely<OrdersDb>, rows);
      after = rows[rows.length - 1]!.id;
    }
  },
};

function viewRow(row: OrderRow) {
  return { id: row.id, customer_id: row.customer_id, status: row.status, view: JSON.stringify(toView(row)), updated_at: row.updated_at };
}

/** The cache key of one order's view. */
export const orderKey = (id: string) => `order:${id}`;

/**
 * Writes orders' views in the transaction that wrote the orders themselves (intake, each state
 * change), so the read model is never behind the write model: no projection consumer, no lag, no
 * second transaction per event. The caller drops the cached copies once it has committed.
 */
export async function saveViews(trx: Kysely<OrdersDb>, rows: readonly OrderRow[]): Promise<void> {
  if (rows.length === 0) return;
  await viewsUpsert(trx, rows).execute();
}

/** The upsert `saveViews` runs, not yet run (for `Database.writeTogether`); `rows` must not be empty. */
export function viewsUpsert(k: Kysely<OrdersDb>, rows: readonly OrderRow[]) {
  return k
    .insertInto('order_views')
    .values(rows.map(viewRow))
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({ status: eb.ref('excluded.status'), view: eb.ref('excluded.view'), updated_at: eb.ref('excluded.updated_at') })),
    );
}

export interface ListFilter {
  /** Undefined: every customer's (admin). */
  customerId: string | undefined;
  status: string | undefined;
  /** Orders older than this id. */
  cursor: string | undefined;
  limit: number;
}

/** One order's view from the read model. */
export async function findView(k: Kysely<OrdersDb>, id: string): Promise<OrderView | undefined> {
  const r = await k.selectFrom('order_views').select('view').where('id', '=', id).executeTakeFirst();
  return r ? (JSON.parse(r.view) as OrderView) : undefined;
}

/** One order from the write model (always current on the primary). */
export async function findOrder(k: Kysely<OrdersDb>, id: string): Promise<OrderView | undefined> {
  const r = await k.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toView(r) : undefined;
}

/**
 * A page of orders, newest first: from the read model, or (`source: 'orders'`, for read-your-writes)
 * from the write model, whose indexes fit the same queries.
 */
export async function listOrders(k: Kysely<OrdersDb>, source: 'order_views' | 'orders', f: ListFilter): Promise<OrderView[]> {
  const ref = (c: 'id' | 'customer_id' | 'status') => k.dynamic.ref<string>(c);
  let q = k.selectFrom(source as 'order_views').selectAll().orderBy(ref('id'), 'desc').limit(f.limit);
  if (f.customerId !== undefined) q = q.where(ref('customer_id'), '=', f.customerId);
  if (f.status !== undefined) q = q.where(ref('status'), '=', f.status);
  if (f.cursor !== undefined) q = q.where(ref('id'), '<', f.cursor);
  const rows = (await q.execute()) as unknown as Array<Record<string, unknown>>;
  return source === 'orders' ? rows.map((r) => toView(r as never)) : rows.map((r) => JSON.parse(r.view as string) as OrderView);
}
