import { subjectOf } from './envelope.ts';

/** Why an order was cancelled. */
export type CancellationReason = 'out_of_stock' | 'payment_declined' | 'payment_failed' | 'customer_request';

export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface PricedLine extends OrderLine {
  unitPriceCents: number;
}

// ---- produced by orders ----

export interface OrderPlaced {
  orderId: string;
  customerId: string;
  items: OrderLine[];
  paymentMethod: string;
}

export interface PaymentRequested {
  orderId: string;
  customerId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
}

export interface OrderConfirmed {
  orderId: string;
  customerId: string;
  customerEmail: string;
  items: PricedLine[];
  totalCents: number;
  currency: string;
}

export interface OrderCancelled {
  orderId: string;
  customerId: string;
  customerEmail: string;
  reason: CancellationReason;
  /** Status the order left; inventory releases stock only if it had been reserved. */
  previousStatus: string;
}

// ---- produced by inventory ----

export interface ProductUpserted {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
}

export interface StockReserved {
  orderId: string;
  lines: PricedLine[];
  totalCents: number;
  currency: string;
}

export interface StockReservationFailed {
  orderId: string;
  reason: 'out_of_stock' | 'unknown_sku' | 'mixed_currency';
  skus: string[];
}

export interface StockReleased {
  orderId: string;
}

// ---- produced by payments ----

export interface PaymentSucceeded {
  orderId: string;
  paymentIntentId: string;
  amountCents: number;
  currency: string;
}

export interface PaymentDeclined {
  orderId: string;
  code: string;
}

export interface PaymentFailed {
  orderId: string;
  code: string;
  message: string;
}

export interface PaymentRefunded {
  orderId: string;
  paymentIntentId: string;
  refundId: string;
}

/** Internal to payments: a refund that must be carried out (retried by the broker). */
export interface RefundRequired {
  orderId: string;
  paymentIntentId: string;
}

/** Every event type by name, with its data. The single map both producers and consumers type against. */
export interface EventMap {
  OrderPlaced: OrderPlaced;
  PaymentRequested: PaymentRequested;
  OrderConfirmed: OrderConfirmed;
  OrderCancelled: OrderCancelled;
  ProductUpserted: ProductUpserted;
  StockReserved: StockReserved;
  StockReservationFailed: StockReservationFailed;
  StockReleased: StockReleased;
  PaymentSucceeded: PaymentSucceeded;
  PaymentDeclined: PaymentDeclined;
  PaymentFailed: PaymentFailed;
  PaymentRefunded: PaymentRefunded;
  RefundRequired: RefundRequired;
}

export type EventType = keyof EventMap;

/** Which service produces each event: the subject is `<producer>.<type>`. */
export const eventProducers = {
  OrderPlaced: 'orders',
  PaymentRequested: 'orders',
  OrderConfirmed: 'orders',
  OrderCancelled: 'orders',
  ProductUpserted: 'inventory',
  StockReserved: 'inventory',
  StockReservationFailed: 'inventory',
  StockReleased: 'inventory',
  PaymentSucceeded: 'payments',
  PaymentDeclined: 'payments',
  PaymentFailed: 'payments',
  PaymentRefunded: 'payments',
  RefundRequired: 'payments',
} as const satisfies Record<EventType, string>;

/** Current schema version of each event's data. */
export const EVENT_VERSION = 1;

/** Subject of an event type, e.g. `orders.OrderPlaced`. */
export function subjectFor(type: EventType): string {
  return subjectOf(eventProducers[type], type);
}
