import { sql } from 'kysely';
import type { Migration, PlatformTables } from '@orderflow/platform';

export interface CustomersTable { id: string; email: string; name: string; created_at: string }
export interface ApiKeysTable { id: string; customer_id: string; hash: string; created_at: string; revoked_at: string | null }
export interface SettingsTable { name: string; value: string }
export interface CatalogTable { sku: string; updated_at: string }
export interface OrdersTable {
  id: string;
  customer_id: string;
  status: string;
  cancellation_reason: string | null;
  items: string;
  priced_lines: string | null;
  total_cents: number | null;
  currency: string | null;
  payment_method: string;
  payment_intent_id: string | null;
  created_at: string;
  updated_at: string;
}
export interface IdempotencyTable {
  customer_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: string;
  created_at: string;
}

/** The read model: one row per order, the API's JSON ready to send (see read-model.ts). */
export interface OrderViewsTable { id: string; customer_id: string; status: string; view: string; updated_at: string }

export interface OrdersDb extends PlatformTables {
  customers: CustomersTable;
  api_keys: ApiKeysTable;
  settings: SettingsTable;
  catalog: CatalogTable;
  orders: OrdersTable;
  idempotency_keys: IdempotencyTable;
  order_views: OrderViewsTable;
}

export const ordersMigrations: readonly Migration[] = [
  {
    name: 'orders-001-init',
    async up(db) {
      await db.schema
        .createTable('customers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('api_keys_customer').on('api_keys').column('customer_id').execute();
      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('catalog')
        .addColumn('sku', 'text', (c) => c.primaryKey())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('cancellation_reason', 'text')
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('priced_lines', 'text')
        .addColumn('total_cents', 'integer')
        .addColumn('currency', 'text')
        .addColumn('payment_method', 'text', (c) => c.notNull())
        .addColumn('payment_intent_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addCheckConstraint('orders_status', sql`status in ('pending','awaiting_payment','confirmed','cancelled')`)
        .execute();
      // Ids are UUIDv7, so "newest first" is "id descending": these fit the list queries exactly.
      await db.schema.createIndex('orders_customer_id').on('orders').columns(['customer_id', 'id']).execute();
      await db.schema.createIndex('orders_customer_status_id').on('orders').columns(['customer_id', 'status', 'id']).execute();
      await db.schema.createIndex('orders_status_id').on('orders').columns(['status', 'id']).execute();
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer', (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['customer_id', 'key'])
        .execute();
    },
  },
];
