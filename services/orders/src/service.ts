import { subjectFor } from '@orderflow/contracts';
import type { Database, ServiceModule } from '@orderflow/platform';
import { ordersMigrations, type OrdersDb } from './schema.ts';
import { registerOrdersRoutes } from './routes.ts';
import { registerKeyRoutes } from './key-routes.ts';
import { onProductUpserted, onSagaReply } from './handlers.ts';
import { loadPepper } from './api-keys.ts';
import { paymentDeadlineMigration, startPaymentDeadlineSweep } from './payment-deadline.ts';
import { readModelMigration, viewsInStepMigration } from './read-model.ts';

/** Orders: customers and their keys, order intake with idempotency, and the saga's state machine. */
export function createOrdersService(): ServiceModule {
  return {
    name: 'orders',
    migrations: [...ordersMigrations, paymentDeadlineMigration, readModelMigration, viewsInStepMigration],
    async setup(ctx) {
      const db = ctx.db as Database<OrdersDb>;
      const pepper = await loadPepper(db.db, ctx.config.keyPepper);
      const cache = ctx.readPath.cache('orders');
      registerOrdersRoutes(ctx.http, { db, adminKey: ctx.adminKey, pepper, cache, recentWrites: ctx.readPath.recentWrites, intakeBatch: ctx.config.intakeBatch });
      registerKeyRoutes(ctx.http, { db, adminKey: ctx.adminKey, pepper });
      ctx.subscribe({
        subjects: [subjectFor('StockReserved'), subjectFor('StockReservationFailed'), subjectFor('PaymentSucceeded'), subjectFor('PaymentDeclined'), subjectFor('PaymentFailed')],
        handler: onSagaReply(db, ctx.logger, cache),
        concurrency: 32,
      });
      ctx.job(() => startPaymentDeadlineSweep({ db, logger: ctx.logger, cache, ...ctx.config.paymentDeadline }));
      ctx.subscribe({ consumer: 'orders-catalog', subjects: [subjectFor('ProductUpserted')], handler: onProductUpserted(db) });
    },
  };
}
