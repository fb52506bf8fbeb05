import { defineErrors } from '@orderflow/platform';

/** Orders' error registry (documented in docs/errors.md; a test keeps the two in step). */
export const orderErrors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, title: 'Order not found', retryable: false },
  ORDER_UNKNOWN_SKU: { status: 422, title: 'Unknown product', retryable: false },
  ORDER_NOT_CANCELLABLE: { status: 409, title: 'Order cannot be cancelled', retryable: false },
  ORDER_ILLEGAL_TRANSITION: { status: 409, title: 'Illegal order state transition', retryable: false },
  ORDER_BAD_EVENT: { status: 500, title: 'Event does not match its contract', retryable: false },
  IDEMPOTENCY_KEY_MISSING: { status: 400, title: 'Idempotency-Key header required', retryable: false },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'Idempotency-Key header not valid', retryable: false },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with another request', retryable: false },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, title: 'A request with this Idempotency-Key is in progress', retryable: true },
  CUSTOMER_NOT_FOUND: { status: 404, title: 'Customer not found', retryable: false },
  API_KEY_NOT_FOUND: { status: 404, title: 'API key not found', retryable: false },
  CUSTOMER_EMAIL_TAKEN: { status: 409, title: 'A customer with this email exists', retryable: false },
  CUSTOMER_KEY_REQUIRED: { status: 403, title: 'Only a customer key can place orders', retryable: false },
});
export type OrderErrorCode = keyof typeof orderErrors.specs;
