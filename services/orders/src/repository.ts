import type { Kysely, Selectable } from 'kysely';
import type { OrderLine } from '@orderflow/contracts';
import type { OrdersDb, OrdersTable } from './schema.ts';
import type { OrderFacts, OrderState, Pricing } from './order.ts';

export type OrderRow = Selectable<OrdersTable>;

/** The order as the API shows it. */
export interface OrderView {
  id: string;
  customerId: string;
  status: string;
  items: Array<OrderLine & { unitPriceCents?: number }>;
  totalCents: number | null;
  currency: string | null;
  paymentMethod: string;
  cancellationReason?: string;
  createdAt: string;
  updatedAt: string;
}

export function toView(r: OrderRow): OrderView {
  const items = r.priced_lines ? (JSON.parse(r.priced_lines) as OrderView['items']) : (JSON.parse(r.items) as OrderLine[]);
  return {
    id: r.id,
    customerId: r.customer_id,
    status: r.status,
    items,
    totalCents: r.total_cents,
    currency: r.currency,
    paymentMethod: r.payment_method,
    ...(r.cancellation_reason ? { cancellationReason: r.cancellation_reason } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toState(r: OrderRow): OrderState {
  const pricing: Pricing | undefined =
    r.priced_lines && r.total_cents !== null && r.currency !== null
      ? { lines: JSON.parse(r.priced_lines) as Pricing['lines'], totalCents: r.total_cents, currency: r.currency }
      : undefined;
  switch (r.status) {
    case 'pending':
      return { status: 'pending' };
    case 'awaiting_payment':
      return { status: 'awaiting_payment', pricing: pricing! };
    case 'confirmed':
      return { status: 'confirmed', pricing: pricing!, paymentIntentId: r.payment_intent_id ?? '' };
    default:
      return {
        status: 'cancelled',
        reason: (r.cancellation_reason ?? 'customer_request') as Extract<OrderState, { status: 'cancelled' }>['reason'],
        ...(pricing ? { pricing } : {}),
        ...(r.payment_intent_id ? { paymentIntentId: r.payment_intent_id } : {}),
      };
  }
}

/** Loads the order with the facts the state machine needs (customer email comes from customers). */
export async function loadOrder(db: Kysely<OrdersDb>, id: string): Promise<{ row: OrderRow; facts: OrderFacts } | undefined> {
  const row = await db
    .selectFrom('orders')
    .innerJoin('customers', 'customers.id', 'orders.customer_id')
    .selectAll('orders')
    .select('customers.email as customer_email')
    .where('orders.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { customer_email, ...order } = row;
  return { row: order, facts: { id: order.id, customerId: order.customer_id, customerEmail: customer_email, paymentMethod: order.payment_method } };
}

/**
 * Writes a new state and returns the row as written; the `expected` status guard makes a
 * concurrent change fail (undefined) instead of being overwritten.
 */
export async function saveState(db: Kysely<OrdersDb>, id: string, expected: string, state: OrderState): Promise<OrderRow | undefined> {
  return db.updateTable('orders').set(stateColumns(state, new Date().toISOString())).where('id', '=', id).where('status', '=', expected).returningAll().executeTakeFirst();
}

/** The columns a state sets; the rest of the row stays as it is. */
function stateColumns(state: OrderState, now: string) {
  const pricing = 'pricing' in state ? state.pricing : undefined;
  return {
    status: state.status,
    cancellation_reason: state.status === 'cancelled' ? state.reason : null,
    ...(pricing ? { priced_lines: JSON.stringify(pricing.lines), total_cents: pricing.totalCents, currency: pricing.currency } : {}),
    ...('paymentIntentId' in state && state.paymentIntentId ? { payment_intent_id: state.paymentIntentId } : {}),
    updated_at: now,
  };
}

/**
 * `saveState`'s change to `row`, not yet run (for `Database.writeTogether`), and the row as it will
 * be. The guard cannot be a WHERE here (an update of no row is no error, and the statements sent
 * with it would still run): over any status but `row.status` the update writes a null status, which
 * the column refuses, so a concurrent change fails the whole batch instead of being overwritten.
 */
export function stateUpdate(k: Kysely<OrdersDb>, row: OrderRow, state: OrderState) {
  const columns = stateColumns(state, new Date().toISOString());
  const update = k
    .updateTable('orders')
    .set((eb) => ({ ...columns, status: eb.case().when('status', '=', row.status).then(state.status).else(null).end() as unknown as string }))
    .where('id', '=', row.id);
  return { update, after: { ...row, ...columns } as OrderRow };
}
