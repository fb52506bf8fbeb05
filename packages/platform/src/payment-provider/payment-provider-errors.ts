import { AppError, type ErrorSpec } from '../errors.ts';

/**
 * Failures of a payment provider call. `retryable` says whether the same call with the
 * same idempotency key can help; the outcome of a TIMEOUT or ABORTED charge is unknown,
 * and retrying with the same key is how to learn it without charging twice.
 */
export const paymentProviderErrorSpecs = {
  PAYMENT_PROVIDER_TIMEOUT: { status: 504, title: 'Payment provider did not answer in time', retryable: true },
  PAYMENT_PROVIDER_UNAVAILABLE: { status: 502, title: 'Payment provider unreachable or failing (network error, 5xx)', retryable: true },
  PAYMENT_PROVIDER_CONFLICT: { status: 409, title: 'Payment provider is still processing a request with this idempotency key', retryable: true },
  PAYMENT_PROVIDER_RATE_LIMITED: { status: 429, title: 'Payment provider rate limit hit', retryable: true },
  PAYMENT_PROVIDER_ABORTED: { status: 499, title: 'Payment provider call aborted by the caller', retryable: true },
  PAYMENT_PROVIDER_REJECTED: { status: 502, title: 'Payment provider rejected the request (4xx)', retryable: false },
  PAYMENT_PROVIDER_BAD_RESPONSE: { status: 502, title: 'Payment provider answered in an unexpected shape', retryable: false },
  PAYMENT_PROVIDER_INVALID_REQUEST: { status: 400, title: 'Payment request is not valid; nothing was sent', retryable: false },
} as const satisfies Record<string, ErrorSpec>;

export type PaymentProviderErrorCode = keyof typeof paymentProviderErrorSpecs;

export interface PaymentProviderErrorDetails {
  cause?: unknown;
  /** HTTP status the provider answered, when it answered. */
  providerStatus?: number;
  /** The provider's `error.code` (e.g. `idempotency_key_in_use`), when it sent one. */
  providerCode?: string;
  /** Overrides the registry's flag, e.g. from Stripe's `Stripe-Should-Retry` header. */
  retryable?: boolean;
}

/** Thrown by PaymentProvider implementations for everything that is not a success or a decline. */
export class PaymentProviderError extends AppError {
  override name = 'PaymentProviderError';
  declare readonly code: PaymentProviderErrorCode;
  readonly providerStatus: number | undefined;
  readonly providerCode: string | undefined;

  constructor(code: PaymentProviderErrorCode, detail: string, details: PaymentProviderErrorDetails = {}) {
    const spec = paymentProviderErrorSpecs[code];
    super(code, details.retryable === undefined ? spec : { ...spec, retryable: details.retryable }, detail, {
      cause: details.cause,
      extensions: {
        ...(details.providerStatus === undefined ? {} : { providerStatus: details.providerStatus }),
        ...(details.providerCode === undefined ? {} : { providerCode: details.providerCode }),
      },
    });
    this.providerStatus = details.providerStatus;
    this.providerCode = details.providerCode;
  }
}
