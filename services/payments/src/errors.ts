import { defineErrors } from '@orderflow/platform';

/** Payments' error registry. */
export const paymentErrors = defineErrors({
  PAYMENT_BAD_EVENT: { status: 500, title: 'Event does not match its contract', retryable: false },
});
