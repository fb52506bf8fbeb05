export type { EventEnvelope } from './envelope.ts';
export { subjectOf } from './envelope.ts';
export type {
  CancellationReason,
  OrderLine,
  PricedLine,
  OrderPlaced,
  PaymentRequested,
  OrderConfirmed,
  OrderCancelled,
  ProductUpserted,
  StockReserved,
  StockReservationFailed,
  StockReleased,
  PaymentSucceeded,
  PaymentDeclined,
  PaymentFailed,
  PaymentRefunded,
  RefundRequired,
  EventMap,
  EventType,
} from './events.ts';
export { eventProducers, subjectFor, EVENT_VERSION } from './events.ts';
