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
  close?(): Promise<void>;
}
