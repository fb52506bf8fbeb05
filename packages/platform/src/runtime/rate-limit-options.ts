import type { Config } from '../config.ts';
import type { RateLimitOptions } from '../http/rate-limit-hook.ts';
import { createMemoryRateLimitStore } from '../rate-limit/memory-store.ts';
import type { RateLimitStore } from '../rate-limit/rate-limit-store.ts';

/**
 * The edge's rate limits from configuration: none when `ORDERFLOW_RATE_LIMIT_PER_KEY` is 0;
 * otherwise the same bucket size per key, per address and for failed authentications, kept in
 * `store` (default: this process's memory).
 */
export function rateLimitOptions(config: Config, store?: RateLimitStore): { rateLimit?: RateLimitOptions } {
  if (config.rateLimit.perKey <= 0) return {};
  const limit = { perSecond: config.rateLimit.perKey, burst: config.rateLimit.burst };
  return { rateLimit: { store: store ?? createMemoryRateLimitStore(), perKey: limit } };
}
