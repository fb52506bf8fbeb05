import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCache } from './cache.ts';
import { createMemoryTier } from './memory-tier.ts';
import { createMetrics } from '../observability/metrics.ts';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

async function counter(metrics: ReturnType<typeof createMetrics>, name: string, cache: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return m.values.find((v) => v.labels.cache === cache)?.value ?? 0;
}

test('a hit answers from the cache; a miss loads once and stores; hits and misses are counted', async () => {
  const metrics = createMetrics();
  const cache = createCache({ name: 'orders', tier: createMemoryTier({ maxEntries: 10 }), ttlMs: 60_000, metrics });
  let loads = 0;
  const load = async () => ({ n: ++loads });
  assert.deepEqual(await cache.getOrLoad('a', load), { n: 1 });
  assert.deepEqual(await cache.getOrLoad('a', load), { n: 1 });
  assert.equal(loads, 1);
  assert.equal(await counter(metrics, 'orderflow_cache_hits_total', 'orders'), 1);
  assert.equal(await counter(metrics, 'orderflow_cache_misses_total', 'orders'), 1);
});

test('stampede protection: 100 concurrent misses of one key make one load', async () => {
  const cache = createCache({ name: 't', tier: createMemoryTier({ maxEntries: 10 }), ttlMs: 60_000 });
  const gate = deferred<{ v: number }>();
  let loads = 0;
  const all = Promise.all(Array.from({ length: 100 }, () => cache.getOrLoad('k', () => (loads++, gate.promise))));
  await new Promise((r) => setImmediate(r));
  gate.resolve({ v: 7 });
  const got = await all;
  assert.equal(loads, 1);
  assert.ok(got.every((g) => g?.v === 7));
});

test('a load overtaken by an invalidation is not stored, and later readers load anew', async () => {
  const cache = createCache({ name: 't', tier: createMemoryTier({ maxEntries: 10 }), ttlMs: 60_000 });
  const old = deferred<{ v: string }>();
  const first = cache.getOrLoad('k', () => old.promise);
  await new Promise((r) => setImmediate(r));
  await cache.invalidate('k'); // the write committed while the old value was being read
  const second = cache.getOrLoad('k', async () => ({ v: 'new' }));
  old.resolve({ v: 'old' });
  assert.deepEqual(await first, { v: 'old' });
  assert.deepEqual(await second, { v: 'new' });
  assert.deepEqual(await cache.getOrLoad('k', async () => ({ v: 'not called' })), { v: 'new' });
});

test('undefined (not found) is never stored; a failed load is not stored and its error reaches every waiter', async () => {
  const cache = createCache({ name: 't', tier: createMemoryTier({ maxEntries: 10 }), ttlMs: 60_000 });
  assert.equal(await cache.getOrLoad('none', async () => undefined), undefined);
  assert.deepEqual(await cache.getOrLoad('none', async () => ({ now: 1 })), { now: 1 });
  const boom = () => Promise.reject(new Error('db down'));
  const [a, b] = await Promise.allSettled([cache.getOrLoad('e', boom), cache.getOrLoad('e', boom)]);
  assert.equal(a.status, 'rejected');
  assert.equal(b.status, 'rejected');
  assert.deepEqual(await cache.getOrLoad('e', async () => ({ ok: true })), { ok: true });
});

test('entries expire after the ttl and the LRU holds at most maxEntries', async () => {
  const cache = createCache({ name: 't', tier: createMemoryTier({ maxEntries: 2 }), ttlMs: 30 });
  let loads = 0;
  const load = async () => ({ n: ++loads });
  await cache.getOrLoad('a', load);
  await cache.getOrLoad('b', load);
  await cache.getOrLoad('c', load); // evicts a
  await cache.getOrLoad('a', load);
  assert.equal(loads, 4);
  await new Promise((r) => setTimeout(r, 50));
  await cache.getOrLoad('a', load);
  assert.equal(loads, 5);
});
