import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisRateLimitStore } from './redis-store.ts';
import { assertTakeEachContract } from './take-each-contract.ts';

const url = process.env.ORDERFLOW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `orderflow-test:rl:${randomUUID()}:`;
let redis: Redis;

before(() => {
  redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
});

after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const limit = { perSecond: 10, burst: 3 };

test('allows a burst, then refuses with the time until the next token', async () => {
  const store = createRedisRateLimitStore({ redis, prefix });
  for (let i = 0; i < 3; i++) assert.equal((await store.take('a', limit)).allowed, true);
  const refused = await store.take('a', limit);
  assert.equal(refused.allowed, false);
  assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 100, String(refused.retryAfterMs));
  await new Promise((r) => setTimeout(r, 120));
  assert.equal((await store.take('a', limit)).allowed, true);
});

test('two instances share one budget; another key has its own', async () => {
  const other = new Redis(url);
  try {
    const one = createRedisRateLimitStore({ redis, prefix });
    const two = createRedisRateLimitStore({ redis: other, prefix });
    const slow = { perSecond: 0.1, burst: 4 };
    const got = [await one.take('shared', slow), await two.take('shared', slow), await one.take('shared', slow), await two.take('shared', slow), await one.take('shared', slow)];
    assert.deepEqual(got.map((d) => d.allowed), [true, true, true, true, false]);
    assert.equal((await two.take('separate', slow)).allowed, true);
  } finally {
    await other.quit();
  }
});

test('a peek takes nothing; buckets expire once they would be full', async () => {
  const store = createRedisRateLimitStore({ redis, prefix });
  assert.equal((await store.take('p', limit, 0)).remaining, 3);
  await store.take('p', limit, 3);
  assert.equal((await store.take('p', limit, 0)).allowed, false);
  const ttl = await redis.pttl(`${prefix}p`);
  assert.ok(ttl > 0 && ttl <= 1300, String(ttl));
});

test('concurrent takes never hand out more than the burst', async () => {
  const store = createRedisRateLimitStore({ redis, prefix });
  const slow = { perSecond: 0.01, burst: 20 };
  const all = await Promise.all(Array.from({ length: 100 }, () => store.take('race', slow)));
  assert.equal(all.filter((d) => d.allowed).length, 20);
});

test('takeEach: buckets in turn in one script, stopping at the first refusal', async () => {
  await assertTakeEachContract(createRedisRateLimitStore({ redis, prefix }), 'each:');
});
