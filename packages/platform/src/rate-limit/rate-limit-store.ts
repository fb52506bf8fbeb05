/** A token bucket: `perSecond` tokens flow in, at most `burst` are kept. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left after this decision. */
  remaining: number;
  /** When `allowed` is false: how long until the request would fit. */
  retryAfterMs: number;
}

/** One bucket of a `takeEach`. */
export interface RateStep {
  key: string;
  limit: RateLimit;
  /** Default 1; 0 is a peek. */
  cost?: number;
}

/**
 * Where buckets live: memory in embedded mode, a shared store (Redis) when several instances
 * must see one budget. Buckets are independent: draining one never touches another.
 */
export interface RateLimitStore {
  /**
   * Takes `cost` tokens (default 1) from the bucket `key` if they are there. A `cost` of 0 is a
   * peek: allowed while at least one token is left, nothing taken.
   */
  take(key: string, limit: RateLimit, cost?: number): Promise<RateDecision>;
  /**
   * Takes from each bucket in turn as `take` would, and stops at the first refusal: the buckets
   * after it are not touched. Returns that refusal, or the last bucket's decision, with its index
   * (`step`). One round trip where the store is remote.
   */
  takeEach(steps: readonly RateStep[]): Promise<RateDecision & { step: number }>;
  close?(): Promise<void>;
}
