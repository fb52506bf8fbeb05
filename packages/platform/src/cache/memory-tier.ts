import { LRUCache } from 'lru-cache';
import type { CacheTier } from './cache.ts';

/**
 * The embedded tier: an in-process LRU of at most `maxEntries` values. One process holds every
 * reader and writer, so the cache's own flight tracking already keeps a raced load from being
 * stored; the token is unused.
 */
export function createMemoryTier(opts: { maxEntries: number }): CacheTier {
  const lru = new LRUCache<string, object>({ max: opts.maxEntries, ttlAutopurge: false });
  return {
    async get(key) {
      return { value: lru.get(key), token: '' };
    },
    async set(key, value, _token, ttlMs) {
      lru.set(key, value as object, { ttl: ttlMs });
    },
    async invalidate(key) {
      lru.delete(key);
    },
    async close() {
      lru.clear();
    },
  };
}
