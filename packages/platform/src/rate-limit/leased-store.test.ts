import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisRateLimitStore } from './redis-store.ts';
import { leaseTakes } from './leased-store.ts';
import { createMemoryRateLimitStore } from './memory-store.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

const url = process.env.ORDERFLOW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `orderflow-test:lease:${randomUUID()}:`;
let redis: Redis;

before(() => {
  redis = new Redis(url, { maxRetriesPerRequest: 1 });
});

after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** The Redis store, counting the round trips it makes. */
function counted(store: RateLimitStore) {
  const calls = { n: 0 };
  const wrapped: RateLimitStore = {
    take: (k, l, c) => (calls.n++, store.take(k, l, c)),
    takeEach: (s) => (calls.n++, store.takeEach(s)),
    lease: (k, l, w) => (calls.n++, store.lease!(k, l, w)),
  };
  return { store: wrapped, calls };
}

test('a lease takes up to the tokens asked for, what the bucket holds, and nothing from an empty bucket', async () => {
  const store = createRedisRateLimitStore({ redis, prefix });
  const slow = { perSecond: 0.01, burst: 7 };
  assert.deepEqual(await store.lease!('l', slow, 5), { granted: 5, retryAfterMs: 0 });
  assert.deepEqual(await store.lease!('l', slow, 5), { granted: 2, retryAfterMs: 0 }, 'the two left');
  const none = await store.lease!('l', slow, 5);
  assert.equal(none.granted, 0);
  assert.ok(none.retryAfterMs > 90_000, `a token in ~100 s (${none.retryAfterMs})`);
  assert.equal((await store.take('l', slow)).allowed, false, 'the leased tokens have left the shared bucket');
});

test('leased takes: a burst is served exactly, with a round trip per lease instead of per request', async () => {
  const { store, calls } = counted(createRedisRateLimitStore({ redis, prefix }));
  const leased = leaseTakes(store); // 100/s: leases of 5
  const limit = { perSecond: 100, burst: 40 };
  const key = `burst-${randomUUID()}`;
  const got = [];
  for (let i = 0; i < 45; i++) got.push((await leased.take(key, limit)).allowed);
  // Refill during the loop adds a token now and then; the burst itself is never cut short.
  assert.deepEqual(got.slice(0, 40), Array(40).fill(true));
  const extra = got.slice(40).filter(Boolean).length;
  assert.ok(extra <= 3, `beyond the burst only what flowed in meanwhile (${extra})`);
  assert.ok(calls.n <= 15, `about one round trip per five takes (${calls.n} for 45)`);
});

test('two instances leasing one key never spend more than the shared bucket gives', async () => {
  const other = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const one = leaseTakes(createRedisRateLimitStore({ redis, prefix }));
    const two = leaseTakes(createRedisRateLimitStore({ redis: other, prefix }));
    // 40 per second flows in: leases of 2. A burst of 20 and a minute's worth of nothing more.
    const limit = { perSecond: 40, burst: 20 };
    const key = `shared-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? one : two).take(key, limit)));
    const allowed = answers.filter((a) => a.allowed).length;
    assert.ok(allowed <= 20 + 3, `at most the burst and what flowed in (${allowed})`);
    assert.ok(allowed >= 20 - 2 * 2, `at most a lease per instance left unspent (${allowed})`);
    for (const a of answers.filter((x) => !x.allowed)) assert.ok(a.retryAfterMs > 0);
  } finally {
    await other.quit();
  }
});

test('a low limit is taken one token at a time, and a store without leases is used as it is', async () => {
  const { store, calls } = counted(createRedisRateLimitStore({ redis, prefix }));
  const leased = leaseTakes(store);
  const low = { perSecond: 5, burst: 10 };
  for (let i = 0; i < 4; i++) await leased.take(`low-${prefix}`, low);
  assert.equal(calls.n, 4, 'a lease of 0.25 tokens would be no lease');
  const memory = createMemoryRateLimitStore();
  assert.equal(leaseTakes(memory), memory);
});
