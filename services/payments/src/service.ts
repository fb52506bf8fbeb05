import { subjectFor } from '@orderflow/contracts';
import type { Database, PaymentProvider, ServiceModule } from '@orderflow/platform';
import { paymentsMigrations, type PaymentsDb } from './schema.ts';
import { onOrderCancelled, onPaymentRequested, onRefundRequired } from './handlers.ts';

export interface PaymentsDeps {
  provider: PaymentProvider;
  /** Charges in flight at once per instance; default 64. */
  concurrency?: number;
}

/** Payments: charges each order once at the provider, refunds cancelled captures. */
export function createPaymentsService(deps: PaymentsDeps): ServiceModule {
  return {
    name: 'payments',
    migrations: paymentsMigrations,
    async setup(ctx) {
      const db = ctx.db as Database<PaymentsDb>;
      const requested = onPaymentRequested(db, deps.provider);
      const cancelled = onOrderCancelled(db);
      const refund = onRefundRequired(db, deps.provider);
      ctx.subscribe({
        subjects: [subjectFor('PaymentRequested'), subjectFor('OrderCancelled'), subjectFor('RefundRequired')],
        concurrency: deps.concurrency ?? 64,
        handler: (m) => (m.type === 'PaymentRequested' ? requested(m) : m.type === 'OrderCancelled' ? cancelled(m) : refund(m)),
      });
    },
  };
}
