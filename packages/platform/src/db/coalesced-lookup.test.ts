import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCoalescedBatch, createCoalescedLookup } from './coalesced-lookup.ts';

/** A store whose queries are held until released, recording the keys each one carried. */
function heldStore(data: Record<string, string>) {
  const queries: string[][] = [];
  const gates: Array<() => void> = [];
  const load = async (keys: string[]) => {
    queries.push(keys);
    const snapshot = new Map(keys.filter((k) => k in data).map((k) => [k, data[k]!]));
    await new Promise<void>((r) => gates.push(r));
    return snapshot;
  };
  const releaseNext = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { queries, load, releaseNext };
}

test('a lone lookup is queried at once; lookups arriving meanwhile share the next query', async () => {
  const data: Record<string, string> = { a: 'A', b: 'B', c: 'C' };
  const s = heldStore(data);
  const lookup = createCoalescedLookup(s.load);
  const first = lookup('a');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.queries, [['a']], 'the first lookup did not wait for company');
  const rest = [lookup('b'), lookup('c'), lookup('b'), lookup('zz')];
  await s.releaseNext();
  assert.equal(await first, 'A');
  await s.releaseNext();
  assert.deepEqual(await Promise.all(rest), ['B', 'C', 'B', undefined]);
  assert.deepEqual(s.queries, [['a'], ['b', 'c', 'zz']], 'one more query for the four, each key once');
});

test('a lookup never gets an answer read before it arrived', async () => {
  const data: Record<string, string> = { k: 'live' };
  const s = heldStore(data);
  const lookup = createCoalescedLookup(s.load);
  const early = lookup('k');
  await new Promise((r) => setImmediate(r));
  delete data.k; // e.g. a key revoked while the first query is in flight
  const late = lookup('k');
  await s.releaseNext();
  assert.equal(await early, 'live', 'read before the change');
  await s.releaseNext();
  assert.equal(await late, undefined, 'arrived after the change: its own query sees it');
});

test('a failed query fails only the lookups it carried; later ones run', async () => {
  let calls = 0;
  const lookup = createCoalescedLookup(async (keys: string[]) => {
    calls++;
    if (calls === 1) throw new Error('database down');
    return new Map(keys.map((k) => [k, k.toUpperCase()]));
  });
  await assert.rejects(lookup('a'), /database down/);
  assert.equal(await lookup('b'), 'B');
});

test('at most maxBatch keys per query', async () => {
  const sizes: number[] = [];
  const lookup = createCoalescedLookup(async (keys: number[]) => {
    sizes.push(keys.length);
    await new Promise((r) => setImmediate(r));
    return new Map(keys.map((k) => [k, k]));
  }, 3);
  const all = await Promise.all(Array.from({ length: 8 }, (_, i) => lookup(i)));
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(sizes, [1, 3, 3, 1]);
});

test('a batch answers each item in order; an Error fails its item alone', async () => {
  const run = createCoalescedBatch(async (xs: number[]) => xs.map((x) => (x < 0 ? new Error(`negative ${x}`) : x * 2)));
  const got = await Promise.allSettled([run(1), run(-1), run(3)]);
  assert.deepEqual(got.map((g) => (g.status === 'fulfilled' ? g.value : (g.reason as Error).message)), [2, 'negative -1', 6]);
});
