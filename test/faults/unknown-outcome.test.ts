import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem } from '../e2e/support/system.ts';
import { placeWhenOrderable, waitForStatus } from '../e2e/support/client.ts';
import { chargesFor } from '../e2e/support/simulator.ts';
import { apiClient, orderBody, resilienceStats, resilientEnv, setKnobs } from './support.ts';

test('the provider commits a charge and then times out: the retry with the same key finds it — one charge, order confirmed', { timeout: 60_000 }, async () => {
  const sys = await startSystem({ env: resilientEnv() });
  try {
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'lost-answer', { priceCents: 1_250, stock: 10 });
    await setKnobs(sys.paymentUrl, { commitThenTimeoutNext: 1 });
    const t0 = Date.now();
    const placed = await placeWhenOrderable(api, cust.apiKey, orderBody('lost-answer'));
    assert.equal(placed.status, 202);
    const order = await waitForStatus(api, cust.apiKey, placed.body.id, ['confirmed', 'cancelled'], 30_000);
    const charges = await chargesFor(sys.paymentUrl, placed.body.id);
    const pay = (await resilienceStats(api, sys.adminKey)).dependencies.find((d) => d.dependency === 'payment')!;
    console.log(`# commit-then-timeout: ${order.status} after ${Date.now() - t0} ms, charges at provider ${charges.length}, call timeouts ${pay.timeouts}`);
    assert.equal(order.status, 'confirmed');
    assert.equal(charges.length, 1, 'one charge');
    assert.equal(charges[0]!.amount, 1_250);
    assert.ok(pay.timeouts >= 1, 'the first call really timed out');
    assert.equal((await api.getProduct('lost-answer')).body.stock, 9);
  } finally {
    await sys.stop();
  }
});
