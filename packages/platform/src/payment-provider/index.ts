export type {
  ChargeRequest,
  ChargeResult,
  PaymentCallOptions,
  PaymentProvider,
  RefundRequest,
  RefundResult,
} from './payment-provider.ts';
export { PaymentProviderError, paymentProviderErrorSpecs } from './payment-provider-errors.ts';
export type { PaymentProviderErrorCode, PaymentProviderErrorDetails } from './payment-provider-errors.ts';
export { createStripeCompatibleProvider } from './stripe-client.ts';
export type { StripeCompatibleProviderOptions } from './stripe-client.ts';
