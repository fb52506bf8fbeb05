import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryRateLimitStore } from './memory-store.ts';
import { assertTakeEachContract } from './take-each-contract.ts';

const limit = { perSecond: 10, burst: 3 };

test('allows a burst, then refuses with the time until the next token', async () => {
  let t = 0;
  const store = createMemoryRateLimitStore({ now: () => t });
  for (let i = 0; i < 3; i++) assert.equal((await store.take('a', limit)).allowed, true);
  const refused = await store.take('a', limit);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterMs, 100);
  t = 100;
  assert.equal((await store.take('a', limit)).allowed, true);
  assert.equal((await store.take('a', limit)).allowed, false);
});

test('one drained bucket never throttles another', async () => {
  const t = 0;
  const store = createMemoryRateLimitStore({ now: () => t });
  for (let i = 0; i < 10; i++) await store.take('noisy', limit);
  assert.equal((await store.take('noisy', limit)).allowed, false);
  assert.equal((await store.take('quiet', limit)).allowed, true);
  assert.equal((await store.take('quiet', limit)).remaining, 1);
});

test('refills at most to the burst', async () => {
  let t = 0;
  const store = createMemoryRateLimitStore({ now: () => t });
  await store.take('a', limit);
  t = 60_000;
  const d = await store.take('a', limit);
  assert.equal(d.remaining, 2);
});

test('a peek (cost 0) takes nothing and refuses only an empty bucket', async () => {
  const t = 0;
  const store = createMemoryRateLimitStore({ now: () => t });
  assert.equal((await store.take('a', limit, 0)).remaining, 3);
  await store.take('a', limit, 3);
  assert.equal((await store.take('a', limit, 0)).allowed, false);
});

test('keeps at most maxBuckets, dropping the least recently used', async () => {
  const t = 0;
  const store = createMemoryRateLimitStore({ now: () => t, maxBuckets: 2 });
  await store.take('a', limit, 3);
  await store.take('b', limit, 3);
  await store.take('a', limit, 0); // a is now the most recent
  await store.take('c', limit); // evicts b
  assert.equal((await store.take('a', limit, 0)).allowed, false, 'a kept its empty bucket');
  assert.equal((await store.take('b', limit, 0)).remaining, 3, 'b came back full');
});

test('takeEach: buckets in turn, stopping at the first refusal', async () => {
  await assertTakeEachContract(createMemoryRateLimitStore(), 'each:');
});
