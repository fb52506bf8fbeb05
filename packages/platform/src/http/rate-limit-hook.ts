import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { platformErrors } from '../errors.ts';
import type { RateLimit, RateLimitStore } from '../rate-limit/rate-limit-store.ts';
import { API_KEY_PATTERN, bearerToken } from './auth.ts';

export interface RateLimitOptions {
  store: RateLimitStore;
  /** Per API key (the admin key counts as one key). */
  perKey: RateLimit;
  /** Per client address, for calls without a key. Default: `perKey`. */
  perAddress?: RateLimit;
  /** Per client address, drained by each 401, so made-up keys cannot open fresh buckets. Default: `perKey`. */
  authFailures?: RateLimit;
  /** Paths never limited (health checks). */
  exempt?: readonly string[];
}

/** The bucket a token spends from: the key id for customer keys, a digest for anything else (never the secret). */
export function bucketForToken(token: string): string {
  if (API_KEY_PATTERN.test(token)) return `key:${token.slice(4, 20)}`;
  return `tok:${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;
}

async function refuse(reply: FastifyReply, retryAfterMs: number, what: string): Promise<never> {
  reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  throw platformErrors.create('RATE_LIMITED', `Too many requests ${what}; retry after the Retry-After header's seconds`);
}

/**
 * Rate limits at the edge, before any work: each API key has its own bucket, calls without a key
 * share their address's bucket, and failed authentications drain a per-address bucket that is
 * checked before a key from that address is looked at (from the address's first 401 here on).
 * A refusal is a 429 problem with `Retry-After`.
 */
export function installRateLimit(app: FastifyInstance, opts: RateLimitOptions): void {
  const perAddress = opts.perAddress ?? opts.perKey;
  const authFailures = opts.authFailures ?? opts.perKey;
  const exempt = new Set(opts.exempt ?? ['/healthz', '/readyz']);
  // Addresses this instance answered 401 within the time their failure bucket takes to fill again.
  // Only their keyed calls look at that bucket: it drains by 401s alone, so for any other address
  // it can be empty only through another instance's 401s, and then this instance looks from its
  // own first 401 to that address on (one key lookup more per instance, not a fresh bucket per key).
  const failedLately = new LRUCache<string, true>({ max: 100_000, ttl: Math.ceil((authFailures.burst / authFailures.perSecond) * 1000) });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (exempt.has(req.url.split('?')[0]!)) return;
    const token = bearerToken(req);
    if (token === undefined) {
      const d = await opts.store.take(`ip:${req.ip}`, perAddress);
      if (!d.allowed) await refuse(reply, d.retryAfterMs, 'from this address');
      return;
    }
    if (!failedLately.has(req.ip)) {
      const d = await opts.store.take(bucketForToken(token), opts.perKey);
      if (!d.allowed) await refuse(reply, d.retryAfterMs, 'for this API key');
      return;
    }
    // An address this instance answered 401 lately: its failed-authentication bucket is looked at
    // (not drained) first; the key's bucket is spent only if that passes. One round trip for both.
    const d = await opts.store.takeEach([
      { key: `authfail:${req.ip}`, limit: authFailures, cost: 0 },
      { key: bucketForToken(token), limit: opts.perKey },
    ]);
    if (!d.allowed) await refuse(reply, d.retryAfterMs, d.step === 0 ? 'with unknown keys from this address' : 'for this API key');
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    if (reply.statusCode !== 401) return;
    failedLately.set(req.ip, true);
    await opts.store.take(`authfail:${req.ip}`, authFailures);
  });
}
