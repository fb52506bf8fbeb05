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

/** Tokens taken ahead from a shared bucket, to be spent one by one where they were taken. */
export interface RateLease {
  /** Whole tokens taken, 0 to `want`; 0 when the bucket has not one left. */
  granted: number;
  /** When nothing was granted: how long until one token would be there. */
  retryAfterMs: number;
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
  /**
   * Takes up to `want` whole tokens at once, as many as the bucket holds (a remote store's way to
   * spare a round trip per request: see `leaseTakes`). Stores without it are asked per take.
   */
  lease?(key: string, limit: RateLimit, want: number): Promise<RateLease>;
  close?(): Promise<void>;
}
