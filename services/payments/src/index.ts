export { createPaymentsService } from './service.ts';
export type { PaymentsDeps } from './service.ts';
export { chargeKey, refundKey } from './keys.ts';
export { paymentErrors } from './errors.ts';
