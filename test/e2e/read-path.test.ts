import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODE, startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient } from './support/client.ts';

/** `orderflow_cache_hits_total{cache="…"}` and misses, from /metrics (one process in embedded mode). */
async function cacheCounts(api: ApiClient, cache: string): Promise<{ hits: number; misses: number }> {
  const text = (await api.call('GET', '/metrics')).body as string;
  const read = (name: string) => Number(new RegExp(`^${name}\\{cache="${cache}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { hits: read('orderflow_cache_hits_total'), misses: read('orderflow_cache_misses_total') };
}

/** Registers before/after hooks that run one orderflow process (rate limit off) for the suite. */
function systemFor(env: Record<string, string>): { system: () => SystemProcess; api: ApiClient } {
  let sys: SystemProcess | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  const api = new Proxy({} as ApiClient, { get: (_t, k) => apiClient(sys!.url)[k as keyof ApiClient] });
  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_RATE_LIMIT_PER_KEY: '0', ORDERFLOW_CACHE: 'on', ...env } });
  });
  after(async () => {
    await sys?.stop();
    await cleanup?.();
  });
  return { system: () => sys!, api };
}

describe('the read path: read-your-writes, the read model and the cache, through the real process', () => {
  const { system, api } = systemFor({});
  let sys: SystemProcess;
  before(() => void (sys = system()));

  test('the owner sees an order at once after placing it, and cancelled at once after cancelling it', async () => {
    const ann = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'ryw-tea', { priceCents: 300, stock: 1000 });
    await placeWhenOrderable(api, ann.apiKey, { items: [{ sku: 'ryw-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    for (let i = 0; i < 15; i++) {
      const placed = await api.placeOrder(ann.apiKey, { items: [{ sku: 'ryw-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' });
      assert.equal(placed.status, 202);
      const [got, list] = await Promise.all([api.getOrder(ann.apiKey, placed.body.id), api.listOrders(ann.apiKey, '?limit=1')]);
      assert.equal(got.status, 200, `read ${i} right after placing`);
      assert.equal(list.body.items[0].id, placed.body.id, 'newest first, including the order just placed');
      const cancelled = await api.cancelOrder(ann.apiKey, placed.body.id);
      assert.equal(cancelled.status, 202);
      const [again, byStatus] = await Promise.all([api.getOrder(ann.apiKey, placed.body.id), api.listOrders(ann.apiKey, '?status=cancelled&limit=1')]);
      assert.equal(again.body.status, 'cancelled', `read ${i} right after cancelling`);
      assert.equal(byStatus.body.items[0].id, placed.body.id);
    }
  });
});

describe('cache invalidation on every change (read-your-writes window 0, so reads go through the cache)', () => {
  const { system, api } = systemFor({ ORDERFLOW_READ_YOUR_WRITES_MS: '0' });
  let sys: SystemProcess;
  before(() => void (sys = system()));

  test('an order read while pending shows every later status the saga and the customer give it', async () => {
    const bo = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'inv-lamp', { priceCents: 2500, stock: 10 });
    const placed = await placeWhenOrderable(api, bo.apiKey, { items: [{ sku: 'inv-lamp', quantity: 2 }], paymentMethod: 'pm_card_visa' });
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    let last: any;
    // Read as fast as possible while the saga runs: each status must replace the cached one.
    while (Date.now() < deadline) {
      last = (await api.getOrder(bo.apiKey, placed.body.id)).body;
      seen.add(last.status);
      if (last.status === 'confirmed') break;
    }
    assert.equal(last.status, 'confirmed');
    assert.equal(last.totalCents, 5000);
    assert.equal((await api.cancelOrder(bo.apiKey, placed.body.id)).status, 202);
    const cancelled = await waitForStatus(api, bo.apiKey, placed.body.id, ['cancelled'], 5_000);
    assert.equal(cancelled.cancellationReason, 'customer_request');
    const before = await cacheCounts(api, 'orders');
    for (let i = 0; i < 50; i++) assert.equal((await api.getOrder(bo.apiKey, placed.body.id)).body.status, 'cancelled');
    const after = await cacheCounts(api, 'orders');
    // One process answers /metrics in embedded mode; behind the cluster's proxy each instance counts its own.
    if (MODE === 'embedded') assert.ok(after.hits - before.hits >= 45, `repeated reads hit the cache: ${JSON.stringify({ before, after })}`);
    assert.equal((await api.getOrder((await api.createCustomer(sys.adminKey)).apiKey, placed.body.id)).status, 404, "a cached order is still another customer's 404");
  });

  test('a product read from the cache changes at once with its PUT, and with the stock an order reserves and a cancel releases', async () => {
    await api.putProduct(sys.adminKey, 'inv-mug', { priceCents: 800, stock: 5 });
    for (let i = 0; i < 3; i++) assert.equal((await api.getProduct('inv-mug')).body.priceCents, 800);
    await api.putProduct(sys.adminKey, 'inv-mug', { priceCents: 900, stock: 5 });
    assert.equal((await api.getProduct('inv-mug')).body.priceCents, 900, 'the PUT invalidated the cached product');
    const c = await api.createCustomer(sys.adminKey);
    const placed = await placeWhenOrderable(api, c.apiKey, { items: [{ sku: 'inv-mug', quantity: 2 }], paymentMethod: 'pm_card_visa' });
    await waitForStatus(api, c.apiKey, placed.body.id, ['confirmed']);
    assert.equal((await api.getProduct('inv-mug')).body.stock, 3, 'the reservation invalidated it');
    await api.cancelOrder(c.apiKey, placed.body.id);
    const deadline = Date.now() + 5_000;
    while ((await api.getProduct('inv-mug')).body.stock !== 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await api.getProduct('inv-mug')).body.stock, 5, 'the release invalidated it');
    const counts = await cacheCounts(api, 'products');
    if (MODE === 'embedded') assert.ok(counts.hits > 0 && counts.misses > 0, JSON.stringify(counts));
  });
});
