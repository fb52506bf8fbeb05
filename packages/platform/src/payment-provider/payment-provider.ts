/** One card charge, identified end to end by its idempotency key. */
export interface ChargeRequest {
  orderId: string;
  /** Positive integer in the currency's smallest unit, at most 99 999 999. */
  amountCents: number;
  /** ISO 4217 code, any case (sent lower-cased, as Stripe expects). */
  currency: string;
  /** A provider payment method id, e.g. Stripe's test `pm_card_visa`. */
  paymentMethod: string;
  /** 1 to 255 characters; the same key for every retry of the same charge. */
  idempotencyKey: string;
}

/** A charge's outcome. A decline is an expected result, not an error. */
export type ChargeResult =
  | { outcome: 'succeeded'; paymentIntentId: string; amountCents: number; currency: string }
  | { outcome: 'declined'; code: string; message: string };

export interface RefundRequest {
  paymentIntentId: string;
  /** 1 to 255 characters; the same key for every retry of the same refund. */
  idempotencyKey: string;
  /** Part of the charge to refund; default: all that is left. */
  amountCents?: number;
}

export interface RefundResult {
  refundId: string;
  /** True when the intent had already been fully refunded (e.g. by an earlier attempt under another key). */
  alreadyRefunded: boolean;
}

export interface PaymentCallOptions {
  /** Aborts the call; the error is `PAYMENT_PROVIDER_ABORTED` (outcome unknown, retry with the same key). */
  signal?: AbortSignal;
}

/**
 * The port to a card payment provider. Implementations do not retry: retries live in one
 * layer above, and are safe because every call carries an idempotency key.
 */
export interface PaymentProvider {
  charge(req: ChargeRequest, opts?: PaymentCallOptions): Promise<ChargeResult>;
  refund(req: RefundRequest, opts?: PaymentCallOptions): Promise<RefundResult>;
}
