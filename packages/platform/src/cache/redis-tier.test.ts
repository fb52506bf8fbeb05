import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createCache } from './cache.ts';
import { createRedisTier } from './redis-tier.ts';
import { createRecentWrites } from './recent-writes.ts';
import { REDIS_URL, runId, until } from '../../../../test/support/distributed.ts';
import { startFaultProxy } from '../../../../test/support/fault-proxy.ts';

const prefix = `orderflow-test:${runId()}:`;
const opened: Redis[] = [];
const connect = (url = REDIS_URL) => {
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250, retryStrategy: () => 50 });
  r.on('error', () => undefined);
  opened.push(r);
  return r;
};
/** One orderflow instance's cache: its own connections, the shared prefix. */
function instance(url = REDIS_URL, localTtlMs = 60_000) {
  const redis = connect(url);
  const subscriber = new Redis(url, { retryStrategy: () => 50 });
  subscriber.on('error', () => undefined);
  opened.push(subscriber);
  const tier = createRedisTier({ redis, subscriber, prefix, localMaxEntries: 100, localTtlMs });
  return { redis, cache: createCache({ name: 'orders', tier, ttlMs: 60_000 }) };
}

after(async () => {
  const admin = new Redis(REDIS_URL);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
  for (const r of opened) r.disconnect();
});

const ready = (r: Redis) => until(() => r.status === 'ready', 5_000, 'redis ready');

test('instances share entries through Redis; an invalidation on one drops the local copy on the other', async () => {
  const a = instance();
  const b = instance();
  await Promise.all([ready(a.redis), ready(b.redis)]);
  await new Promise((r) => setTimeout(r, 100)); // subscriptions in place
  assert.deepEqual(await a.cache.getOrLoad('o1', async () => ({ status: 'pending' })), { status: 'pending' });
  assert.deepEqual(await b.cache.getOrLoad('o1', async () => assert.fail('B must hit Redis')), { status: 'pending' });
  await a.cache.invalidate('o1');
  await until(async () => (await b.cache.getOrLoad('o1', async () => ({ status: 'confirmed' })))?.status === 'confirmed', 2_000, 'B sees the invalidation');
});

test("a load that read old data before another instance's invalidation cannot store it", async () => {
  const a = instance();
  const b = instance();
  await Promise.all([ready(a.redis), ready(b.redis)]);
  let release!: () => void;
  const slow = b.cache.getOrLoad('o2', () => new Promise<{ v: string }>((r) => (release = () => r({ v: 'old' }))));
  await new Promise((r) => setTimeout(r, 20));
  await a.cache.invalidate('o2');
  release();
  assert.deepEqual(await slow, { v: 'old' });
  assert.equal(await a.redis.get(`${prefix}v:o2`), null, 'the old value never reached Redis');
  assert.deepEqual(await a.cache.getOrLoad('o2', async () => ({ v: 'new' })), { v: 'new' });
});

test('Redis down: reads load from the source without errors; an invalidation made meanwhile reaches Redis when it is back', async () => {
  const [host, port] = new URL(REDIS_URL).host.split(':');
  const proxy = await startFaultProxy({ host: host!, port: Number(port ?? 6379) });
  try {
    const viaProxy = `redis://${proxy.host}:${proxy.port}`;
    const a = instance(viaProxy, 1);
    const direct = instance();
    await Promise.all([ready(a.redis), ready(direct.redis)]);
    assert.deepEqual(await direct.cache.getOrLoad('o3', async () => ({ v: 1 })), { v: 1 });
    proxy.set({ refuse: true });
    proxy.resetAll();
    await until(() => a.redis.status !== 'ready', 2_000, 'A sees Redis gone');
    let loads = 0;
    for (let i = 0; i < 5; i++) assert.deepEqual(await a.cache.getOrLoad('o4', async () => ({ v: ++loads })), { v: loads });
    await a.cache.invalidate('o3'); // the data changed while Redis was unreachable from A
    assert.equal(await direct.redis.exists(`${prefix}v:o3`), 1, 'still there: A could not reach Redis');
    proxy.heal();
    await until(async () => (await direct.redis.exists(`${prefix}v:o3`)) === 0, 5_000, 'the remembered invalidation reaches Redis');
  } finally {
    await proxy.close();
  }
});

test('read-your-writes marks are shared through Redis, and an unreachable Redis answers "recently written"', async () => {
  const one = createRecentWrites({ windowMs: 5_000, redis: connect(), prefix });
  const two = createRecentWrites({ windowMs: 5_000, redis: connect(), prefix });
  await until(() => opened.slice(-2).every((r) => r.status === 'ready'), 5_000, 'ready');
  assert.equal(await two.has('order:x'), false);
  await one.mark('order:x');
  assert.equal(await two.has('order:x'), true);
  const down = createRecentWrites({ windowMs: 5_000, redis: connect('redis://127.0.0.1:1'), prefix });
  assert.equal(await down.has('order:y'), true);
  const local = createRecentWrites({ windowMs: 30 });
  await local.mark('k');
  assert.equal(await local.has('k'), true);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await local.has('k'), false);
});
