import type { Metrics } from '../observability/metrics.ts';

/**
 * Where cached values live: an in-process LRU (embedded mode) or Redis with a small local tier
 * (distributed mode). A tier never throws: a store that is down answers "not there" and drops
 * writes, so a broken cache costs speed, never correctness.
 */
export interface CacheTier {
  /** The value and a token naming the key's generation now (see {@link CacheTier.set}). */
  get(key: string): Promise<{ value: unknown; token: string }>;
  /** Stores `value` unless the key was invalidated after `token` was read (a load that raced a write). */
  set(key: string, value: unknown, token: string, ttlMs: number): Promise<void>;
  /** Drops the key everywhere (all instances) and moves its generation on. */
  invalidate(key: string): Promise<void>;
  /** Told when another instance invalidated a key (distributed mode), so loads in flight here are not stored. */
  onRemoteInvalidate?(listener: (key: string) => void): void;
  close(): Promise<void>;
}

/** A read-through cache for one kind of value (e.g. `orders`, `products`). */
export interface Cache {
  readonly name: string;
  /**
   * The cached value of `key`, or the result of `load` (stored when defined). Concurrent misses of
   * one key share one `load` (stampede protection). A load that an invalidation overtook is
   * returned to its callers but not stored.
   */
  getOrLoad<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
  /** Call after the commit that changed the data behind `key`. */
  invalidate(key: string): Promise<void>;
}

export interface CacheOptions {
  name: string;
  tier: CacheTier;
  /** How long an entry may live without an invalidation; the staleness bound if one is ever lost. */
  ttlMs: number;
  /** Hits and misses as orderflow_cache_hits_total / orderflow_cache_misses_total{cache=name}. */
  metrics?: Pick<Metrics, 'cacheHit' | 'cacheMiss'>;
}

interface Flight {
  promise: Promise<unknown>;
  /** Set when the key was invalidated while the load ran: its result is not stored. */
  overtaken: boolean;
}

/** A read-through cache over `tier` with one load per key at a time. */
export function createCache(opts: CacheOptions): Cache {
  const flights = new Map<string, Flight>();
  const overtake = (key: string) => {
    const f = flights.get(key);
    if (!f) return;
    f.overtaken = true;
    flights.delete(key);
  };
  opts.tier.onRemoteInvalidate?.(overtake);

  async function loadAndStore<T>(key: string, token: string, load: () => Promise<T | undefined>, flight: Flight): Promise<T | undefined> {
    try {
      const value = await load();
      if (value !== undefined && !flight.overtaken) await opts.tier.set(key, value, token, opts.ttlMs);
      return value;
    } finally {
      if (flights.get(key) === flight) flights.delete(key);
    }
  }

  return {
    name: opts.name,
    async getOrLoad<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
      const joined = flights.get(key);
      if (joined) {
        opts.metrics?.cacheMiss(opts.name);
        return joined.promise as Promise<T | undefined>;
      }
      const { value, token } = await opts.tier.get(key);
      if (value !== undefined) {
        opts.metrics?.cacheHit(opts.name);
        return value as T;
      }
      opts.metrics?.cacheMiss(opts.name);
      // Another caller may have started the load while this one asked the tier.
      const raced = flights.get(key);
      if (raced) return raced.promise as Promise<T | undefined>;
      const flight: Flight = { promise: Promise.resolve(), overtaken: false };
      flight.promise = loadAndStore(key, token, load, flight);
      flights.set(key, flight);
      return flight.promise as Promise<T | undefined>;
    },
    async invalidate(key) {
      overtake(key);
      await opts.tier.invalidate(key);
    },
  };
}

/** No cache at all (ORDERFLOW_CACHE=off): every read goes to the source. */
export function createUncached(name: string): Cache {
  return { name, getOrLoad: (_key, load) => load(), invalidate: async () => undefined };
}
