/** Settings for one outside dependency's policy; every field has a default per dependency. */
export interface DependencyPolicyOptions {
  /** Time budget of one attempt, connect to last byte, in ms. */
  timeoutMs: number;
  /** Attempts at most, including the first (1 = no retry at this layer). Capped at 3. */
  maxAttempts: number;
  /** First retry delay (full jitter: a random delay in [0, base * 2^n), capped). */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Consecutive failures that open the breaker. */
  breakerThreshold: number;
  /** How long an open breaker rejects calls before letting one through (half-open). */
  breakerHalfOpenMs: number;
  /** Calls in flight at most (bulkhead). */
  concurrency: number;
  /** Calls waiting for a slot at most; past that a call is rejected at once. */
  queue: number;
}

/**
 * Defaults per dependency. Retries happen at one layer only:
 * - event handlers' calls (payment, smtp) do not retry here: the broker's redelivery with capped
 *   full-jitter backoff is their retry layer;
 * - broker publish does not retry here: the outbox relay retries with capped full-jitter backoff
 *   and never drops a row;
 * - database calls do not retry here: a request's client retries with its Idempotency-Key, a
 *   handler's message is redelivered, and a statement inside a transaction cannot be retried alone;
 * - the rate-limit store (redis) never retries: when it fails the request goes on without a limit;
 * - calls with no retry layer above them (the reconcile command's provider calls) retry here,
 *   3 attempts at most.
 * The database's budget sits above its server-side `statement_timeout` (5 s), so the server cancels
 * a slow statement first and the client-side budget catches a server that does not answer at all.
 */
export const dependencyDefaults = {
  payment: { timeoutMs: 10_000, maxAttempts: 1, backoffBaseMs: 100, backoffCapMs: 2_000, breakerThreshold: 5, breakerHalfOpenMs: 5_000, concurrency: 32, queue: 64 },
  smtp: { timeoutMs: 10_000, maxAttempts: 1, backoffBaseMs: 100, backoffCapMs: 2_000, breakerThreshold: 5, breakerHalfOpenMs: 5_000, concurrency: 5, queue: 64 },
  'payment-admin': { timeoutMs: 10_000, maxAttempts: 3, backoffBaseMs: 200, backoffCapMs: 2_000, breakerThreshold: 5, breakerHalfOpenMs: 5_000, concurrency: 8, queue: 1_000 },
  broker: { timeoutMs: 5_000, maxAttempts: 1, backoffBaseMs: 50, backoffCapMs: 5_000, breakerThreshold: 5, breakerHalfOpenMs: 2_000, concurrency: 8, queue: 64 },
  postgres: { timeoutMs: 6_000, maxAttempts: 1, backoffBaseMs: 50, backoffCapMs: 1_000, breakerThreshold: 5, breakerHalfOpenMs: 2_000, concurrency: 32, queue: 256 },
  'postgres-replica': { timeoutMs: 6_000, maxAttempts: 1, backoffBaseMs: 50, backoffCapMs: 1_000, breakerThreshold: 5, breakerHalfOpenMs: 2_000, concurrency: 32, queue: 256 },
  redis: { timeoutMs: 250, maxAttempts: 1, backoffBaseMs: 10, backoffCapMs: 100, breakerThreshold: 5, breakerHalfOpenMs: 2_000, concurrency: 128, queue: 512 },
} as const satisfies Record<string, DependencyPolicyOptions>;

export type DependencyName = keyof typeof dependencyDefaults;
