import type { Redis } from 'ioredis';
import type { RateDecision, RateLease, RateLimit, RateLimitStore } from './rate-limit-store.ts';

// The clock is Redis's own (TIME), so instances whose clocks disagree still share one budget.
// Fractions of a token are kept as a string; only integers leave. A bucket expires once it would
// be full again.
const NOW = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
`;
/** Lua: `tokens` of bucket KEYS[i] (rate, burst in scope) refilled up to now. */
const REFILL = `
  local b = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local tokens = tonumber(b[1])
  local at = tonumber(b[2])
  if tokens == nil then tokens = burst; at = now end
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
`;
const STORE = `
  redis.call('HSET', KEYS[i], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst * 1000 / rate) + 1000)
`;

// One round trip, atomic over its buckets: each in turn, stopping at the first refusal. ARGV holds
// rate, burst, cost for each key.
const TAKE_EACH = `${NOW}
local last = {1, 0, 0, -1}
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
${REFILL}
  local need = math.max(cost, 1)
  local allowed = 0
  local retry = 0
  if tokens >= need then
    allowed = 1
    tokens = tokens - cost
  else
    retry = math.ceil((need - tokens) * 1000 / rate)
  end
${STORE}
  last = {allowed, math.floor(tokens), retry, i - 1}
  if allowed == 0 then return last end
end
return last
`;

// Up to ARGV[3] whole tokens of one bucket (rate ARGV[1], burst ARGV[2]): {granted, retry ms}.
const LEASE = `${NOW}
local i = 1
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
${REFILL}
local granted = math.min(tonumber(ARGV[3]), math.floor(tokens))
local retry = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
${STORE}
return {granted, retry}
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
  const redis = opts.redis as Redis & {
    orderflowTakeEach?: (keyCount: number, ...keysThenArgs: Array<string | number>) => Promise<[number, number, number, number]>;
    orderflowLease?: (key: string, rate: number, burst: number, want: number) => Promise<[number, number]>;
  };
  if (!redis.orderflowTakeEach) redis.defineCommand('orderflowTakeEach', { lua: TAKE_EACH });
  if (!redis.orderflowLease) redis.defineCommand('orderflowLease', { lua: LEASE, numberOfKeys: 1 });
  const takeEach: RateLimitStore['takeEach'] = async (steps) => {
    const keys = steps.map((s) => `${prefix}${s.key}`);
    const args = steps.flatMap((s) => [s.limit.perSecond, s.limit.burst, s.cost ?? 1]);
    const [allowed, remaining, retryAfterMs, step] = await redis.orderflowTakeEach!(keys.length, ...keys, ...args);
    return { allowed: allowed === 1, remaining, retryAfterMs, step };
  };
  return {
    async take(key: string, limit: RateLimit, cost = 1): Promise<RateDecision> {
      const { allowed, remaining, retryAfterMs } = await takeEach([{ key, limit, cost }]);
      return { allowed, remaining, retryAfterMs };
    },
    takeEach,
    async lease(key: string, limit: RateLimit, want: number): Promise<RateLease> {
      const [granted, retryAfterMs] = await redis.orderflowLease!(`${prefix}${key}`, limit.perSecond, limit.burst, want);
      return { granted, retryAfterMs };
    },
  };
}
