import assert from 'node:assert/strict';
import type { RateLimitStore } from './rate-limit-store.ts';

/**
 * What every store's `takeEach` must do, for the stores' own tests: buckets in turn, a peek takes
 * nothing, the first refusal stops it (later buckets untouched) and says which step refused.
 * `ns` keeps the buckets apart from the test's others.
 */
export async function assertTakeEachContract(store: RateLimitStore, ns: string): Promise<void> {
  const slow = { perSecond: 0.01, burst: 2 };
  const steps = [
    { key: `${ns}guard`, limit: slow, cost: 0 },
    { key: `${ns}spend`, limit: slow },
  ];
  const first = await store.takeEach(steps);
  assert.deepEqual([first.allowed, first.step, first.remaining], [true, 1, 1], 'both passed; the last decision is returned');
  assert.equal((await store.take(`${ns}guard`, slow, 0)).remaining, 2, 'the peek took nothing');
  await store.takeEach(steps);
  const spent = await store.takeEach(steps);
  assert.deepEqual([spent.allowed, spent.step], [false, 1], 'the second bucket is empty');
  assert.ok(spent.retryAfterMs > 0);

  await store.take(`${ns}guard`, slow, 2); // drain the guard
  const other = [{ key: `${ns}guard`, limit: slow, cost: 0 }, { key: `${ns}untouched`, limit: slow }];
  const guarded = await store.takeEach(other);
  assert.deepEqual([guarded.allowed, guarded.step], [false, 0], 'refused at the first step');
  assert.equal((await store.take(`${ns}untouched`, slow, 0)).remaining, 2, 'the bucket after a refusal is not touched');
}
