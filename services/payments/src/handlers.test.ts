import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStripeCompatibleProvider, ensureServiceDatabase, openPostgresDatabase, openSqliteDatabase, platformMigrations, type Database, type DeliveredMessage } from '@orderflow/platform';
import { startPaymentSimulator } from '@orderflow/provider-simulator';
import { PG_ADMIN_URL, dropPgPrefix, runId } from '../../../test/support/distributed.ts';
import { paymentsMigrations, type PaymentsDb } from './schema.ts';
import { onOrderCancelled, onPaymentRequested } from './handlers.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));
const migrations = [...platformMigrations, ...paymentsMigrations];

const databases: Record<string, (name: string) => Promise<Database<PaymentsDb>>> = {
  SQLite: () => openSqliteDatabase<PaymentsDb>({ file: ':memory:', migrations }),
  PostgreSQL: async (name) => {
    const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}${name}`, role: `${prefix}${name}` });
    return openPostgresDatabase<PaymentsDb>({ url, migrations, poolSize: 4 });
  },
};

const message = (id: string, type: string, data: unknown): DeliveredMessage => ({
  id,
  type,
  version: 1,
  source: 'orders',
  subject: `orders.${type}`,
  key: 'o1',
  occurredAt: new Date().toISOString(),
  data,
  headers: {},
  attempt: 1,
});
const requested = message('m-pay', 'PaymentRequested', { orderId: 'o1', amountCents: 700, currency: 'EUR', paymentMethod: 'pm_card_visa' });
const cancelled = message('m-cancel', 'OrderCancelled', { orderId: 'o1', reason: 'customer_request' });

/** A real simulator (answering each charge after `latencyMs`) and a database of `dialect`. */
async function setup(dialect: string, name: string, latencyMs: number) {
  const sim = await startPaymentSimulator({ secretKey: 'sk_test', latencyMs });
  const provider = createStripeCompatibleProvider({ baseUrl: sim.url, secretKey: 'sk_test', timeoutMs: 5_000 });
  const db = await databases[dialect]!(name);
  const state = async () => ({
    payments: (await db.db.selectFrom('payments').select(['status', 'cancelled']).execute()).map((r) => `${r.status}/${r.cancelled}`),
    events: (await db.db.selectFrom('outbox').select('type').orderBy('seq').execute()).map((r) => r.type),
    inbox: (await db.db.selectFrom('inbox').select('message_id').orderBy('message_id').execute()).map((r) => r.message_id),
  });
  return {
    db,
    provider,
    state,
    async close() {
      await db.close();
      await provider.close();
      await sim.close();
    },
  };
}

for (const dialect of Object.keys(databases)) {
  test(`${dialect}: a charge is recorded with its reply once, however often the request comes`, async () => {
    const s = await setup(dialect, 'charge', 0);
    try {
      const handle = onPaymentRequested(s.db, s.provider);
      await handle(requested);
      await handle(requested);
      assert.deepEqual(await s.state(), { payments: ['succeeded/0'], events: ['PaymentSucceeded'], inbox: ['m-pay'] });
    } finally {
      await s.close();
    }
  });

  test(`${dialect}: a cancel that arrives while the charge is in flight is seen: the charge is refunded, not confirmed`, async () => {
    const s = await setup(dialect, 'raced', 300);
    try {
      const charging = onPaymentRequested(s.db, s.provider)(requested);
      await new Promise((r) => setTimeout(r, 100)); // the provider is answering meanwhile
      await onOrderCancelled(s.db)(cancelled);
      await charging;
      assert.deepEqual(await s.state(), { payments: ['refund_pending/1'], events: ['RefundRequired'], inbox: ['m-cancel', 'm-pay'] });
    } finally {
      await s.close();
    }
  });
}
