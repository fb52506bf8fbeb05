import type { Kysely } from 'kysely';
import { appendToOutbox, type AppError, type Result, err, ok } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import { loadOrder, saveState, toState, toView, type OrderView } from './repository.ts';
import { transition, type OrderInput } from './order.ts';
import { saveViews } from './read-model.ts';
import { orderErrors } from './errors.ts';

/** The order's state moved between reading and writing it (another transaction won): run it again. */
export class ConcurrentChangeError extends Error {
  override name = 'ConcurrentChangeError';
}

/**
 * Loads the order, runs the state machine, and writes the new state with its events into the
 * outbox and its view into the read model — all inside the caller's transaction (the caller drops
 * the cached view once it has committed).
 */
export async function applyToOrder(trx: Kysely<OrdersDb>, orderId: string, input: OrderInput): Promise<Result<OrderView, AppError>> {
  const loaded = await loadOrder(trx, orderId);
  if (!loaded) return err(orderErrors.create('ORDER_NOT_FOUND', `No order ${orderId}`));
  const { row, facts } = loaded;
  const next = transition(facts, toState(row), input);
  if (!next.ok) return next;
  const after = await saveState(trx, orderId, row.status, next.value.state);
  if (!after) throw new ConcurrentChangeError(`order ${orderId} changed concurrently; retrying`);
  await appendToOutbox(trx, next.value.events);
  await saveViews(trx, [after]);
  return ok(toView(after));
}

/**
 * Runs `attempt` again (up to `times`) while it fails with ConcurrentChangeError: a request that
 * raced a saga step (e.g. a cancel while stock is being reserved on another instance) re-reads
 * the new state instead of failing. Handlers need not: the broker redelivers.
 */
export async function retryOnConcurrentChange<T>(attempt: () => Promise<T>, times = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrentChangeError) || i >= times) throw error;
    }
  }
}
