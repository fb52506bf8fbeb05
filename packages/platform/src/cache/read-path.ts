import { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createCache, createUncached, type Cache, type CacheTier } from './cache.ts';
import { createMemoryTier } from './memory-tier.ts';
import { createRedisTier } from './redis-tier.ts';
import { createRecentWrites, type RecentWrites } from './recent-writes.ts';

/** What a service's read path uses: named caches and read-your-writes marks. */
export interface ReadPath {
  /** The cache named `name` (one per kind of value), created on first use. */
  cache(name: string): Cache;
  readonly recentWrites: RecentWrites;
  close(): Promise<void>;
}

/** Logs the first Redis error and then at most one every 10 s (a down Redis errors on every retry). */
function throttled(logger: Logger): (error: unknown) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    logger.warn({ err: error }, 'cache: redis unavailable; reads go to the database');
  };
}

/**
 * Embedded mode: in-process LRU caches (kept coherent across the edge and pipeline threads of one
 * data dir by a BroadcastChannel) and marks. Distributed mode: Redis (shared by every
 * instance, fail-fast: no offline queue, 250 ms command timeout) with a small local tier.
 */
export function openReadPath(config: Config, logger: Logger, metrics: Metrics): ReadPath {
  const rp = config.readPath;
  const distributed = config.distributed.mode === 'distributed';
  const onError = throttled(logger);
  const connect = () => {
    const r = new Redis(config.distributed.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250, retryStrategy: (n) => Math.min(n * 200, 2_000) });
    r.on('error', onError);
    return r;
  };
  const redis = distributed ? connect() : undefined;
  const subscriber = distributed && rp.cache ? new Redis(config.distributed.redis.url, { retryStrategy: (n) => Math.min(n * 200, 2_000) }) : undefined;
  subscriber?.on('error', onError);
  const prefix = config.distributed.redis.prefix;
  const caches = new Map<string, Cache>();
  const tiers: CacheTier[] = [];
  const recentWrites = createRecentWrites({ windowMs: rp.readYourWritesMs, ...(redis ? { redis } : {}), prefix, onError });
  return {
    cache(name) {
      let c = caches.get(name);
      if (c) return c;
      if (!rp.cache) {
        c = createUncached(name);
      } else {
        const tier =
          redis && subscriber
            ? createRedisTier({ redis, subscriber, prefix: `${prefix}cache:${name}:`, localMaxEntries: rp.localMaxEntries, localTtlMs: rp.localTtlMs, onError })
            : createMemoryTier({ maxEntries: rp.cacheMaxEntries, channel: `orderflow:${config.dataDir}:cache:${name}` });
        tiers.push(tier);
        c = createCache({ name, tier, ttlMs: rp.cacheTtlMs, metrics });
      }
      caches.set(name, c);
      return c;
    },
    recentWrites,
    async close() {
      for (const t of tiers) await t.close();
      redis?.disconnect();
      subscriber?.disconnect();
    },
  };
}
