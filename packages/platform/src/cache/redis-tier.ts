import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { CacheTier } from './cache.ts';

export interface RedisTierOptions {
  /** Commands: keep `enableOfflineQueue: false` and a `commandTimeout`, so a down Redis fails fast. */
  redis: Redis;
  /** A second connection for the invalidation channel (a subscribed connection can send nothing else). */
  subscriber: Redis;
  /** Key prefix, e.g. `orderflow:cache:orders:`. */
  prefix: string;
  /** Entries kept in this process. */
  localMaxEntries: number;
  /** How long this process trusts its local copy; bounds staleness if an invalidation message is lost. */
  localTtlMs: number;
  /** Told of Redis errors (logged by the caller); the cache carries on without Redis. */
  onError?: (error: unknown) => void;
}

// Stores the value only if the key's generation is still the one read before the load.
const SET_IF_GENERATION = `if (redis.call('GET', KEYS[2]) or '0') == ARGV[2] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) return 1 end return 0`;

/**
 * Distributed mode's tier: Redis shared by every instance, in front of it a small LRU per process.
 * An invalidation deletes the Redis entry, moves the key's generation on (so a load that read the
 * old data cannot store it afterwards) and is published on a channel every instance listens to,
 * which drops its local copy. While Redis is unreachable every lookup is a miss (the database
 * answers) and invalidations are remembered and replayed when it is back.
 */
export function createRedisTier(opts: RedisTierOptions): CacheTier {
  const { redis, subscriber, prefix } = opts;
  const channel = `${prefix}invalidations`;
  const local = new LRUCache<string, object>({ max: opts.localMaxEntries, ttl: opts.localTtlMs });
  const pending = new Set<string>();
  const listeners: Array<(key: string) => void> = [];
  const fail = (error: unknown) => opts.onError?.(error);

  subscriber.on('message', (ch: string, key: string) => {
    if (ch !== channel) return;
    local.delete(key);
    for (const l of listeners) l(key);
  });
  // Messages sent while this connection was away are lost: forget every local copy.
  subscriber.on('ready', () => local.clear());
  subscriber.subscribe(channel).catch(fail);

  async function publishInvalidation(key: string): Promise<void> {
    const gen = `${prefix}gen:${key}`;
    await redis.multi().incr(gen).pexpire(gen, 24 * 3600_000).del(`${prefix}v:${key}`).publish(channel, key).exec();
  }
  redis.on('ready', () => {
    for (const key of [...pending]) {
      publishInvalidation(key).then(() => pending.delete(key), fail);
    }
  });

  return {
    async get(key) {
      const mine = local.get(key);
      if (mine !== undefined) return { value: mine, token: '' };
      // Its invalidation has not reached Redis yet: what Redis holds may be old.
      if (pending.has(key)) return { value: undefined, token: 'x' };
      try {
        const [raw, gen] = await redis.mget(`${prefix}v:${key}`, `${prefix}gen:${key}`);
        const token = gen ?? '0';
        if (raw == null) return { value: undefined, token };
        const value = JSON.parse(raw) as object;
        local.set(key, value);
        return { value, token };
      } catch (error) {
        fail(error);
        return { value: undefined, token: 'x' };
      }
    },
    async set(key, value, token, ttlMs) {
      local.set(key, value as object);
      if (token === 'x') return; // Redis was down when the load began: nothing to compare against
      try {
        const stored = await redis.eval(SET_IF_GENERATION, 2, `${prefix}v:${key}`, `${prefix}gen:${key}`, JSON.stringify(value), token, String(ttlMs));
        if (stored === 0) local.delete(key); // another instance changed it meanwhile
      } catch (error) {
        fail(error);
      }
    },
    async invalidate(key) {
      local.delete(key);
      try {
        await publishInvalidation(key);
      } catch (error) {
        pending.add(key);
        fail(error);
      }
    },
    onRemoteInvalidate(listener) {
      listeners.push(listener);
    },
    async close() {
      local.clear();
    },
  };
}
