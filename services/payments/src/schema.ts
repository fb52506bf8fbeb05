import type { Migration, PlatformTables } from '@orderflow/platform';

export interface PaymentsTable {
  order_id: string;
  /** none | succeeded | declined | failed | refunded */
  status: string;
  amount_cents: number;
  currency: string;
  payment_intent_id: string | null;
  /** 1 once the order was cancelled: no charge starts, a finished charge is refunded. */
  cancelled: number;
  refund_id: string | null;
  updated_at: string;
}

export interface PaymentsDb extends PlatformTables {
  payments: PaymentsTable;
}

export const paymentsMigrations: readonly Migration[] = [
  {
    name: 'payments-001-payments',
    async up(db) {
      await db.schema
        .createTable('payments')
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('payment_intent_id', 'text')
        .addColumn('cancelled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('refund_id', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
];
