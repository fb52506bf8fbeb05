import type { PlatformTables } from '@orderflow/platform';
import type { Migration } from '@orderflow/platform';

export interface ProductsTable {
  sku: string;
  name: string;
  price_cents: number;
  currency: string;
  stock: number;
  updated_at: string;
}

export interface ReservationsTable {
  order_id: string;
  /** reserved | released | rejected | cancelled (cancelled before any reservation: a tombstone). */
  status: string;
  lines: string;
  total_cents: number;
  currency: string;
  updated_at: string;
}

export interface InventoryDb extends PlatformTables {
  products: ProductsTable;
  reservations: ReservationsTable;
}

export const inventoryMigrations: readonly Migration[] = [
  {
    name: 'inventory-001-products-reservations',
    async up(db) {
      await db.schema
        .createTable('products')
        .addColumn('sku', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('price_cents', 'integer', (c) => c.notNull().check(sqlNonNegative('price_cents')))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('stock', 'integer', (c) => c.notNull().check(sqlNonNegative('stock')))
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('reservations')
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('lines', 'text', (c) => c.notNull())
        .addColumn('total_cents', 'integer', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
];

import { sql } from 'kysely';
/** Stock and prices can never go below zero: the database refuses it even if code got it wrong. */
function sqlNonNegative(column: string) {
  return sql`${sql.ref(column)} >= 0`;
}
