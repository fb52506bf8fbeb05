import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * Read-your-writes: a writer marks what it just changed (an order, a customer's list) for
 * `windowMs`; a reader that finds the mark reads the primary source instead of a cache, a read
 * model or a replica that may not have caught up yet.
 */
export interface RecentWrites {
  mark(key: string): Promise<void>;
  /** True when `key` was written within the window — and when that cannot be known (store down). */
  has(key: string): Promise<boolean>;
}

export interface RecentWritesOptions {
  /** Longer than the read model's and the replica's usual lag. */
  windowMs: number;
  /** Distributed mode: marks shared by every instance. Unset: this process only (embedded). */
  redis?: Redis;
  prefix?: string;
  onError?: (error: unknown) => void;
}

/** Marks kept in this process, and in Redis too when given, so any instance sees them. A window of 0 turns them off. */
export function createRecentWrites(opts: RecentWritesOptions): RecentWrites {
  if (opts.windowMs === 0) return { mark: async () => undefined, has: async () => false };
  const local = new LRUCache<string, true>({ max: 100_000, ttl: opts.windowMs });
  const { redis } = opts;
  const prefix = `${opts.prefix ?? ''}rw:`;
  return {
    async mark(key) {
      local.set(key, true);
      if (!redis) return;
      try {
        await redis.set(prefix + key, '1', 'PX', opts.windowMs);
      } catch (error) {
        opts.onError?.(error);
      }
    },
    async has(key) {
      if (local.get(key)) return true;
      if (!redis) return false;
      try {
        return (await redis.exists(prefix + key)) === 1;
      } catch (error) {
        opts.onError?.(error);
        return true; // unknown: take the fresh path, which costs only speed
      }
    },
  };
}
