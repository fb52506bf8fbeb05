import { LRUCache } from 'lru-cache';
import type { RateDecision, RateLease, RateLimit, RateLimitStore } from './rate-limit-store.ts';

export interface LeaseOptions {
  /** A lease is this many seconds of the bucket's rate, at least one token; default 0.05. */
  leaseSeconds?: number;
  /** Buckets with tokens kept here at most (the least recently used lose theirs); default 100 000. */
  maxBuckets?: number;
}

/**
 * Takes of one token served from leases: tokens taken ahead from `store` (a remote, shared store
 * that can `lease`) a few at a time and spent here, so a steady key costs a round trip every few
 * requests instead of every one. A lease holds `leaseSeconds` of the key's rate (100/s: 5 tokens);
 * a limit so low that this is under two tokens is taken one at a time, as without leases.
 *
 * The limit still holds across instances: a leased token has left the shared bucket, so no more
 * are spent than the bucket gave. What a lease costs is timing: tokens one instance holds are not
 * there for another, so near its limit a key may be refused while at most a lease per instance is
 * still unspent elsewhere (5 of a burst of 200 per instance by default). `remaining` is what this
 * instance holds. Peeks, takes of another cost and `takeEach` go to the store as they are.
 */
export function leaseTakes(store: RateLimitStore, opts: LeaseOptions = {}): RateLimitStore {
  const lease = store.lease?.bind(store);
  if (!lease) return store;
  const leaseSeconds = opts.leaseSeconds ?? 0.05;
  const held = new LRUCache<string, number>({ max: opts.maxBuckets ?? 100_000 });
  const leaseSize = (limit: RateLimit) => Math.min(limit.burst, Math.floor(limit.perSecond * leaseSeconds));

  // One lease in flight per key: takes that find nothing held wait for it instead of leasing too
  // (a burst of concurrent takes would otherwise lease a token each and leave them unspent).
  const inFlight = new Map<string, Promise<RateLease>>();

  async function takeOne(key: string, limit: RateLimit): Promise<RateDecision> {
    const size = leaseSize(limit);
    if (size < 2) return store.take(key, limit, 1);
    for (;;) {
      const kept = held.get(key) ?? 0;
      if (kept > 0) {
        held.set(key, kept - 1);
        return { allowed: true, remaining: kept - 1, retryAfterMs: 0 };
      }
      let pending = inFlight.get(key);
      if (!pending) {
        pending = lease!(key, limit, size)
          .then((got) => {
            if (got.granted > 0) held.set(key, (held.get(key) ?? 0) + got.granted);
            return got;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const got = await pending;
      if (got.granted === 0) return { allowed: false, remaining: 0, retryAfterMs: got.retryAfterMs };
      // Granted: take from what is held now (the takes that waited with this one may have spent it all).
    }
  }

  return {
    take: (key, limit, cost = 1) => (cost === 1 ? takeOne(key, limit) : store.take(key, limit, cost)),
    takeEach: (steps) => store.takeEach(steps),
    lease,
    ...(store.close ? { close: () => store.close!() } : {}),
  };
}
