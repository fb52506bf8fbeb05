import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@orderflow/platform';
import { startSystem, tempDataDir } from '../../../test/e2e/support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus } from '../../../test/e2e/support/client.ts';
import { refundsFor } from '../../../test/e2e/support/simulator.ts';
import { reconcile } from './reconcile.ts';

async function chargeDirectly(paymentUrl: string, orderId: string, key: string): Promise<string> {
  const form = new URLSearchParams({ amount: '400', currency: 'eur', payment_method: 'pm_card_visa', confirm: 'true', 'metadata[order_id]': orderId });
  const r = await fetch(`${paymentUrl}/v1/payment_intents`, { method: 'POST', body: form, headers: { authorization: 'Bearer sk_test_orderflow', 'idempotency-key': key } });
  assert.equal(r.status, 200);
  return ((await r.json()) as { id: string }).id;
}

test('reconcile finds a double charge and a charged cancelled order, --repair refunds both, a second pass is clean', { timeout: 60_000 }, async () => {
  const d = tempDataDir();
  const sys = await startSystem({ dataDir: d.dir });
  try {
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'rec', { priceCents: 400, stock: 10 });
    const good = (await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'rec', quantity: 1 }], paymentMethod: 'pm_card_visa' })).body.id;
    const doubled = (await api.placeOrder(cust.apiKey, { items: [{ sku: 'rec', quantity: 1 }], paymentMethod: 'pm_card_visa' })).body.id;
    const declined = (await api.placeOrder(cust.apiKey, { items: [{ sku: 'rec', quantity: 1 }], paymentMethod: 'pm_card_chargeDeclined' })).body.id;
    await waitForStatus(api, cust.apiKey, good, ['confirmed']);
    await waitForStatus(api, cust.apiKey, doubled, ['confirmed']);
    await waitForStatus(api, cust.apiKey, declined, ['cancelled']);
    // Faults of the kind reconciliation exists for: a second charge under a foreign key, a charge for a cancelled order.
    const extra = await chargeDirectly(sys.paymentUrl, doubled, 'stray-1');
    const orphan = await chargeDirectly(sys.paymentUrl, declined, 'stray-2');

    const config = loadConfig({ ORDERFLOW_DATA_DIR: d.dir, ORDERFLOW_PAYMENT_URL: sys.paymentUrl });
    const found = await reconcile(config, { repair: false });
    const kinds = Object.fromEntries(found.differences.map((x) => [x.orderId, x.kind]));
    console.log(`# reconcile: ${found.orders} orders, ${found.charges} charges, differences ${JSON.stringify(kinds)}`);
    assert.deepEqual(kinds, { [doubled]: 'double_charge', [declined]: 'charged_not_confirmed' });
    assert.equal((await refundsFor(sys.paymentUrl, extra)).length, 0, 'report only without --repair');

    const repaired = await reconcile(config, { repair: true });
    assert.equal(repaired.differences.length, 2);
    assert.equal((await refundsFor(sys.paymentUrl, extra)).length, 1);
    assert.equal((await refundsFor(sys.paymentUrl, orphan)).length, 1);
    assert.deepEqual((await reconcile(config, { repair: false })).differences, [], 'clean after repair');
    assert.equal((await api.getOrder(cust.apiKey, doubled)).body.status, 'confirmed', 'the order itself is not touched');
  } finally {
    await sys.stop();
    d.cleanup();
  }
});
