import type { Kysely } from 'kysely';
import { appendToOutbox, inboxInsert, outboxInsert, type AppError, type Database, type Result, err, ok } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import { loadOrder, saveState, stateUpdate, toState, toView, type OrderView } from './repository.ts';
import { transition, type OrderInput } from './order.ts';
import { saveViews, viewsUpsert } from './read-model.ts';
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
 * A saga reply the quick way: the order read once, the state machine run, and then the inbox
 * record, the guarded state change, the view and the events sent together (`writeTogether`, one
 * round trip on PostgreSQL, where `applyToOrder` in a transaction takes seven). True when applied;
 * false when this is not the way — no such order, a reply the state machine refuses (a late one),
 * or a batch that failed because the message was processed already (the inbox record's unique
 * violation) or the order changed since it was read (the status guard) — and the caller then
 * applies it in a transaction, which tells these apart, records them and logs them.
 */
export async function applyReplyTogether(db: Database<OrdersDb>, consumer: string, messageId: string, orderId: string, input: OrderInput): Promise<boolean> {
  const loaded = await loadOrder(db.db, orderId);
  if (!loaded) return false;
  const next = transition(loaded.facts, toState(loaded.row), input);
  if (!next.ok) return false;
  const { update, after } = stateUpdate(db.db, loaded.row, next.value.state);
  const statements = [inboxInsert(db.db, consumer, messageId).compile(), update.compile(), viewsUpsert(db.db, [after]).compile()];
  if (next.value.events.length > 0) statements.push(outboxInsert(db.db, next.value.events).insert.compile());
  try {
    await db.writeTogether(statements);
    return true;
  } catch {
    return false;
  }
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
