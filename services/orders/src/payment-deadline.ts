import { sql } from 'kysely';
import type { Cache, Database, Logger, Migration } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import { applyToOrder } from './apply.ts';
import { orderKey } from './read-model.ts';

/** Makes the sweep's query an index range scan, however many orders are finished. */
export const paymentDeadlineMigration: Migration = {
  name: 'orders-100-awaiting-payment-index',
  async up(db) {
    await sql`create index if not exists orders_awaiting_payment on orders(updated_at) where status = 'awaiting_payment'`.execute(db);
  },
};

export interface PaymentDeadlineSweep {
  /** One pass: cancels up to `batch` overdue orders; returns their ids. */
  sweepOnce(now?: Date): Promise<string[]>;
  stop(): void;
}

/**
 * Cancels orders that have waited for their payment longer than `deadlineMs` (since they entered
 * `awaiting_payment`) with reason `payment_failed`, through the state machine: OrderCancelled then
 * releases the stock and makes payments refund a charge that lands late. Runs every `sweepMs`.
 */
export function startPaymentDeadlineSweep(deps: { db: Database<OrdersDb>; logger: Logger; cache?: Cache; deadlineMs: number; sweepMs: number; batch?: number }): PaymentDeadlineSweep {
  const batch = deps.batch ?? 200;
  let running: Promise<string[]> | undefined;
  async function pass(now: Date): Promise<string[]> {
    const cutoff = new Date(now.getTime() - deps.deadlineMs).toISOString();
    const overdue = await deps.db.db.selectFrom('orders').select('id').where('status', '=', 'awaiting_payment').where('updated_at', '<', cutoff).orderBy('updated_at').limit(batch).execute();
    const cancelled: string[] = [];
    for (const { id } of overdue) {
      // The deadline is a PaymentFailed of our own; a reply that moved the order meanwhile wins (the transition is refused).
      const r = await deps.db.transaction((trx) => applyToOrder(trx, id, { type: 'PaymentFailed' }));
      if (!r.ok) continue;
      cancelled.push(id);
      await deps.cache?.invalidate(orderKey(id));
    }
    if (cancelled.length > 0) deps.logger.warn({ count: cancelled.length, deadlineMs: deps.deadlineMs, orders: cancelled.slice(0, 20) }, 'payment deadline passed: orders cancelled with payment_failed');
    return cancelled;
  }
  const sweepOnce = (now = new Date()) => (running ??= pass(now).finally(() => (running = undefined)));
  const timer = setInterval(() => {
    sweepOnce().catch((error: unknown) => deps.logger.error({ err: error }, 'payment deadline sweep failed; next pass retries'));
  }, deps.sweepMs);
  timer.unref();
  return { sweepOnce, stop: () => clearInterval(timer) };
}
