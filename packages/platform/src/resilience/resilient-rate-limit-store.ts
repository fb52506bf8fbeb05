import type { RateDecision, RateLimit, RateLimitStore } from '../rate-limit/rate-limit-store.ts';
import type { DependencyPolicy } from './dependency-policy.ts';

/** What a request gets when the store cannot answer: admitted, and nothing to retry after. */
const OPEN: RateDecision = { allowed: true, remaining: 0, retryAfterMs: 0 };

/**
 * A rate-limit store that fails open: each `take` runs under `policy` (a short budget, a breaker,
 * a bulkhead, no retries), and when the store is down, slow or its breaker is open the request is
 * admitted without a limit (a lease grants the one token asked for). A shared limit is a guard,
 * not a dependency of the order flow: losing it for a while costs only the limit, never a 5xx.
 * `onFailOpen` is told of every such admission.
 */
export function failOpenRateLimitStore(store: RateLimitStore, policy: DependencyPolicy, onFailOpen?: (error: unknown) => void): RateLimitStore {
  return {
    async take(key, limit, cost) {
      try {
        return await policy.execute(() => store.take(key, limit, cost));
      } catch (error) {
        onFailOpen?.(error);
        return OPEN;
      }
    },
    async takeEach(steps) {
      try {
        return await policy.execute(() => store.takeEach(steps));
      } catch (error) {
        onFailOpen?.(error);
        return { ...OPEN, step: steps.length - 1 };
      }
    },
    ...(store.lease
      ? {
          async lease(key: string, limit: RateLimit, want: number) {
            try {
              return await policy.execute(() => store.lease!(key, limit, want));
            } catch (error) {
              onFailOpen?.(error);
              return { granted: 1, retryAfterMs: 0 };
            }
          },
        }
      : {}),
    ...(store.close ? { close: () => store.close!() } : {}),
  };
}
