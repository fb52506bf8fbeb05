import { BroadcastChannel } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import type { CacheTier } from './cache.ts';

/**
 * The embedded tier: an in-process LRU of at most `maxEntries` values. The cache's own flight
 * tracking keeps a raced load from being stored; the token is unused.
 *
 * `channel`: the name of a BroadcastChannel shared by the threads of one embedded system (the HTTP
 * edge and the pipeline worker). An invalidation in one thread (a handler applying an event) drops
 * the key in every other thread's LRU too, and tells their caches so loads in flight are not stored.
 */
export function createMemoryTier(opts: { maxEntries: number; channel?: string }): CacheTier {
  const lru = new LRUCache<string, object>({ max: opts.maxEntries, ttlAutopurge: false });
  const listeners: Array<(key: string) => void> = [];
  const channel = opts.channel ? new BroadcastChannel(opts.channel) : undefined;
  if (channel) {
    channel.onmessage = (event) => {
      const key = (event as { data?: unknown }).data;
      if (typeof key !== 'string') return;
      lru.delete(key);
      for (const l of listeners) l(key);
    };
    // Invalidations must not keep a process alive that has nothing else to do.
    channel.unref();
  }
  return {
    async get(key) {
      return { value: lru.get(key), token: '' };
    },
    async set(key, value, _token, ttlMs) {
      lru.set(key, value as object, { ttl: ttlMs });
    },
    async invalidate(key) {
      lru.delete(key);
      channel?.postMessage(key);
    },
    onRemoteInvalidate(listener) {
      listeners.push(listener);
    },
    async close() {
      channel?.close();
      lru.clear();
    },
  };
}
