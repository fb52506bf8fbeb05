import { defineErrors } from '../errors.ts';

/**
 * Failures raised by the resilience kit itself, before or instead of the outside call. All are
 * retryable: the dependency may be fine a moment later, and the caller's retry layer (the
 * broker's redelivery for event handlers) backs off.
 */
export const resilienceErrors = defineErrors({
  DEPENDENCY_TIMEOUT: { status: 504, title: 'Outside call did not finish within its time budget', retryable: true },
  DEPENDENCY_CIRCUIT_OPEN: { status: 503, title: 'Circuit breaker is open: the dependency is failing, call not attempted', retryable: true },
  DEPENDENCY_BULKHEAD_FULL: { status: 503, title: 'Too many calls to the dependency in flight and queued: call not attempted', retryable: true },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'The dependency refused or cut the connection (e.g. a database restart): retry shortly', retryable: true },
});
export type ResilienceErrorCode = keyof typeof resilienceErrors.specs;
