import type { Redis } from 'ioredis';
import type { RateDecision, RateLimit, RateLimitStore } from './rate-limit-store.ts';

// One round trip, atomic per bucket. The clock is Redis's own (TIME), so instances whose clocks
// disagree still share one budget. Fractions of a token are kept as a string; only integers leave.
const TAKE = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local need = math.max(cost, 1)
local allowed = 0
local retry = 0
if tokens >= need then
  allowed = 1
  tokens = tokens - cost
else
  retry = math.ceil((need - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, math.floor(tokens), retry}
`;

export interface RedisRateLimitStoreOptions {
  redis: Redis;
  /** Prefix for every bucket key (default `orderflow:rl:`). */
  prefix?: string;
}

/**
 * Token buckets in Redis, shared by every instance: the distributed-mode store. A bucket expires
 * once it would be full again, so idle keys cost nothing. The caller owns the connection.
 * @throws whatever ioredis throws when Redis cannot be reached (the edge answers 500; callers
 *   wanting to fail open wrap the store).
 */
export function createRedisRateLimitStore(opts: RedisRateLimitStoreOptions): RateLimitStore {
  const prefix = opts.prefix ?? 'orderflow:rl:';
  const redis = opts.redis as Redis & { orderflowTakeToken?: (key: string, rate: number, burst: number, cost: number) => Promise<[number, number, number]> };
  if (!redis.orderflowTakeToken) redis.defineCommand('orderflowTakeToken', { numberOfKeys: 1, lua: TAKE });
  return {
    async take(key: string, limit: RateLimit, cost = 1): Promise<RateDecision> {
      const [allowed, remaining, retryAfterMs] = await redis.orderflowTakeToken!(`${prefix}${key}`, limit.perSecond, limit.burst, cost);
      return { allowed: allowed === 1, remaining, retryAfterMs };
    },
  };
}
