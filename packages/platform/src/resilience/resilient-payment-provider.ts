import type { PaymentProvider } from '../payment-provider/payment-provider.ts';
import type { DependencyPolicy } from './dependency-policy.ts';

/**
 * A PaymentProvider whose every call runs under `policy` (time budget, breaker, bulkhead, and
 * retries if the policy has them). Safe to retry: every call carries its idempotency key, so a
 * charge whose answer was lost is asked again and the provider answers with the first result.
 * Throws what the provider throws, or the kit's DEPENDENCY_* errors (retryable).
 */
export function resilientPaymentProvider(provider: PaymentProvider, policy: DependencyPolicy): PaymentProvider {
  return {
    charge: (req, opts) => policy.execute((signal) => provider.charge(req, { signal: opts?.signal ? AbortSignal.any([opts.signal, signal]) : signal })),
    refund: (req, opts) => policy.execute((signal) => provider.refund(req, { signal: opts?.signal ? AbortSignal.any([opts.signal, signal]) : signal })),
  };
}
