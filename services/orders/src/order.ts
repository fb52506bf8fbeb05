import type { CancellationReason, NewEventLike, PricedLine } from './order-types.ts';
import { err, ok, type AppError, type Result } from '@orderflow/platform';
import { orderErrors } from './errors.ts';

export type { CancellationReason, PricedLine };

/** The order's lifecycle as a discriminated union; `pricing` exists once inventory has priced it. */
export type OrderState =
  | { status: 'pending' }
  | { status: 'awaiting_payment'; pricing: Pricing }
  | { status: 'confirmed'; pricing: Pricing; paymentIntentId: string }
  | { status: 'cancelled'; reason: CancellationReason; pricing?: Pricing; paymentIntentId?: string };

export interface Pricing {
  lines: PricedLine[];
  totalCents: number;
  currency: string;
}

export interface OrderFacts {
  id: string;
  customerId: string;
  customerEmail: string;
  paymentMethod: string;
}

/** What can happen to an order: saga replies and the customer's cancel. */
export type OrderInput =
  | { type: 'StockReserved'; pricing: Pricing }
  | { type: 'StockReservationFailed' }
  | { type: 'PaymentSucceeded'; paymentIntentId: string }
  | { type: 'PaymentDeclined' }
  | { type: 'PaymentFailed' }
  | { type: 'CancelRequested' };

export interface Transition {
  state: OrderState;
  events: NewEventLike[];
}

function illegal(state: OrderState, input: OrderInput): Result<Transition, AppError> {
  return err(orderErrors.create('ORDER_ILLEGAL_TRANSITION', `${input.type} is not allowed while the order is ${state.status}`, { extensions: { from: state.status, input: input.type } }));
}

function cancel(order: OrderFacts, state: OrderState, reason: CancellationReason): Transition {
  const pricing = 'pricing' in state ? state.pricing : undefined;
  const paymentIntentId = 'paymentIntentId' in state ? state.paymentIntentId : undefined;
  return {
    state: { status: 'cancelled', reason, ...(pricing ? { pricing } : {}), ...(paymentIntentId ? { paymentIntentId } : {}) },
    events: [
      {
        type: 'OrderCancelled',
        key: order.id,
        data: { orderId: order.id, customerId: order.customerId, customerEmail: order.customerEmail, reason, previousStatus: state.status },
      },
    ],
  };
}

/**
 * The saga's one decision function: given the current state and what happened, the next state and
 * the events to emit — or a typed ORDER_ILLEGAL_TRANSITION error, never a silent no-op.
 *
 * pending → awaiting_payment (stock reserved) | cancelled(out_of_stock)
 * awaiting_payment → confirmed | cancelled(payment_declined | payment_failed)
 * pending | awaiting_payment | confirmed → cancelled(customer_request); payments refunds a capture.
 */
export function transition(order: OrderFacts, state: OrderState, input: OrderInput): Result<Transition, AppError> {
  switch (state.status) {
    case 'pending':
      if (input.type === 'StockReserved') {
        return ok({
          state: { status: 'awaiting_payment', pricing: input.pricing },
          events: [
            {
              type: 'PaymentRequested',
              key: order.id,
              data: { orderId: order.id, customerId: order.customerId, amountCents: input.pricing.totalCents, currency: input.pricing.currency, paymentMethod: order.paymentMethod },
            },
          ],
        });
      }
      if (input.type === 'StockReservationFailed') return ok(cancel(order, state, 'out_of_stock'));
      if (input.type === 'CancelRequested') return ok(cancel(order, state, 'customer_request'));
      return illegal(state, input);
    case 'awaiting_payment':
      if (input.type === 'PaymentSucceeded') {
        return ok({
          state: { status: 'confirmed', pricing: state.pricing, paymentIntentId: input.paymentIntentId },
          events: [
            {
              type: 'OrderConfirmed',
              key: order.id,
              data: { orderId: order.id, customerId: order.customerId, customerEmail: order.customerEmail, items: state.pricing.lines, totalCents: state.pricing.totalCents, currency: state.pricing.currency },
            },
          ],
        });
      }
      if (input.type === 'PaymentDeclined') return ok(cancel(order, state, 'payment_declined'));
      if (input.type === 'PaymentFailed') return ok(cancel(order, state, 'payment_failed'));
      if (input.type === 'CancelRequested') return ok(cancel(order, state, 'customer_request'));
      return illegal(state, input);
    case 'confirmed':
      if (input.type === 'CancelRequested') return ok(cancel(order, state, 'customer_request'));
      return illegal(state, input);
    case 'cancelled':
      return illegal(state, input);
  }
}
