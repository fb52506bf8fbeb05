import type { RateDecision, RateLimit, RateLimitStore } from './rate-limit-store.ts';

interface Bucket {
  tokens: number;
  at: number;
}

export interface MemoryRateLimitStoreOptions {
  /** Buckets kept at most (default 100 000); the least recently used go first. A dropped bucket comes back full. */
  maxBuckets?: number;
  /** Clock in ms (default `performance.now`), for tests. */
  now?: () => number;
}

/** Token buckets in this process's memory: the embedded-mode store. */
export function createMemoryRateLimitStore(opts: MemoryRateLimitStoreOptions = {}): RateLimitStore {
  const maxBuckets = opts.maxBuckets ?? 100_000;
  const now = opts.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();

  function decide(key: string, limit: RateLimit, cost: number): RateDecision {
    const t = now();
    const prev = buckets.get(key);
    let tokens = limit.burst;
    if (prev) {
      tokens = Math.min(limit.burst, prev.tokens + ((t - prev.at) * limit.perSecond) / 1000);
      buckets.delete(key); // re-inserted below: Map order is then least recently used first
    } else if (buckets.size >= maxBuckets) {
      buckets.delete(buckets.keys().next().value as string);
    }
    const need = Math.max(cost, 1);
    const allowed = tokens >= need;
    if (allowed) tokens -= cost;
    buckets.set(key, { tokens, at: t });
    const retryAfterMs = allowed ? 0 : Math.ceil(((need - tokens) * 1000) / limit.perSecond);
    return { allowed, remaining: Math.floor(tokens), retryAfterMs };
  }

  return {
    async take(key, limit, cost = 1) {
      return decide(key, limit, cost);
    },
    async takeEach(steps) {
      let d: RateDecision & { step: number } = { allowed: true, remaining: 0, retryAfterMs: 0, step: -1 };
      for (const [step, s] of steps.entries()) {
        d = { ...decide(s.key, s.limit, s.cost ?? 1), step };
        if (!d.allowed) break;
      }
      return d;
    },
  };
}
