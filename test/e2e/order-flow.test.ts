import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient } from './support/client.ts';
import { chargesFor, refundsFor } from './support/simulator.ts';

describe('the order flow, end to end through the real process', () => {
  let sys: SystemProcess;
  let smtp: SmtpPeer;
  let api: ApiClient;
  let cleanup: () => Promise<void>;
  let alice: { id: string; apiKey: string; email: string };
  let bob: { id: string; apiKey: string; email: string };

  before(async () => {
    smtp = await startSmtpPeer();
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_SMTP_URL: smtp.url } });
    api = apiClient(sys.url);
    alice = await api.createCustomer(sys.adminKey);
    bob = await api.createCustomer(sys.adminKey);
  });

  after(async () => {
    const code = await sys.stop();
    await smtp.close();
    await cleanup();
    assert.equal(code, 0, 'graceful shutdown exits 0');
  });

  const mailsFor = (orderId: string) => smtp.messages.filter((m) => m.subject.includes(orderId));

  test('happy path: an order reaches confirmed with the total priced by inventory, and one email', async () => {
    await api.putProduct(sys.adminKey, 'tea-happy', { priceCents: 450, stock: 10 });
    await api.putProduct(sys.adminKey, 'mug-happy', { priceCents: 1200, stock: 10 });
    const placed = await placeWhenOrderable(api, alice.apiKey, { items: [{ sku: 'tea-happy', quantity: 2 }, { sku: 'mug-happy', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    assert.equal(placed.status, 202, JSON.stringify(placed.body));
    assert.equal(placed.body.status, 'pending');
    assert.equal(placed.body.customerId, alice.id);
    assert.equal(placed.headers.get('location'), `/v1/orders/${placed.body.id}`);
    const order = await waitForStatus(api, alice.apiKey, placed.body.id, ['confirmed', 'cancelled']);
    assert.equal(order.status, 'confirmed');
    assert.equal(order.totalCents, 2 * 450 + 1200);
    assert.equal(order.currency, 'eur');
    assert.deepEqual(order.items, [
      { sku: 'tea-happy', quantity: 2, unitPriceCents: 450 },
      { sku: 'mug-happy', quantity: 1, unitPriceCents: 1200 },
    ]);
    const charges = await chargesFor(sys.paymentUrl, order.id);
    assert.equal(charges.length, 1);
    assert.equal(charges[0]!.amount, 2100);
    assert.equal((await api.getProduct('tea-happy')).body.stock, 8);
    await smtp.waitForMessages(1);
    await waitUntil(() => mailsFor(order.id).length === 1);
    assert.match(mailsFor(order.id)[0]!.subject, /confirmed/);
    assert.equal(mailsFor(order.id)[0]!.messageId, `order-${order.id}-confirmed@orderflow`);
    assert.deepEqual(mailsFor(order.id)[0]!.to, [alice.email]);
  });

  test('a declined card cancels with payment_declined and gives the stock back', async () => {
    await api.putProduct(sys.adminKey, 'lamp-decline', { priceCents: 3000, stock: 3 });
    const placed = await placeWhenOrderable(api, alice.apiKey, { items: [{ sku: 'lamp-decline', quantity: 2 }], paymentMethod: 'pm_card_chargeDeclined' });
    assert.equal(placed.status, 202);
    const order = await waitForStatus(api, alice.apiKey, placed.body.id, ['confirmed', 'cancelled']);
    assert.equal(order.status, 'cancelled');
    assert.equal(order.cancellationReason, 'payment_declined');
    await waitUntil(async () => (await api.getProduct('lamp-decline')).body.stock === 3);
    await waitUntil(() => mailsFor(order.id).length === 1);
    assert.match(mailsFor(order.id)[0]!.subject, /cancelled/);
  });

  test('no stock cancels with out_of_stock and reserves nothing', async () => {
    await api.putProduct(sys.adminKey, 'rare-oos', { priceCents: 100, stock: 1 });
    await api.putProduct(sys.adminKey, 'common-oos', { priceCents: 100, stock: 50 });
    const placed = await placeWhenOrderable(api, alice.apiKey, { items: [{ sku: 'common-oos', quantity: 5 }, { sku: 'rare-oos', quantity: 2 }], paymentMethod: 'pm_card_visa' });
    const order = await waitForStatus(api, alice.apiKey, placed.body.id, ['confirmed', 'cancelled']);
    assert.equal(order.status, 'cancelled');
    assert.equal(order.cancellationReason, 'out_of_stock');
    assert.equal((await api.getProduct('common-oos')).body.stock, 50, 'all lines or none');
    assert.equal((await chargesFor(sys.paymentUrl, order.id)).length, 0);
    await waitUntil(() => mailsFor(order.id).length === 1);
  });

  test('idempotency: same key and body replays, another body is 422, a missing or long key is 400', async () => {
    await api.putProduct(sys.adminKey, 'pen-idem', { priceCents: 200, stock: 100 });
    const body = { items: [{ sku: 'pen-idem', quantity: 1 }], paymentMethod: 'pm_card_visa' };
    const key = randomUUID();
    const first = await placeWhenOrderable(api, alice.apiKey, body, key);
    assert.equal(first.status, 202);
    const again = await api.placeOrder(alice.apiKey, body, key);
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const other = await api.placeOrder(alice.apiKey, { ...body, items: [{ sku: 'pen-idem', quantity: 2 }] }, key);
    assert.equal(other.status, 422);
    assert.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.match(other.headers.get('content-type') ?? '', /application\/problem\+json/);
    const missing = await api.placeOrder(alice.apiKey, body, null);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'IDEMPOTENCY_KEY_MISSING');
    const long = await api.placeOrder(alice.apiKey, body, 'k'.repeat(256));
    assert.equal(long.status, 400);
    assert.equal(long.body.code, 'IDEMPOTENCY_KEY_INVALID');
    assert.equal((await api.placeOrder(alice.apiKey, body, 'k'.repeat(255))).status, 202, '255 characters is allowed');
    // Keys are scoped per customer: bob's use of alice's key is a new order of his own.
    const bobs = await api.placeOrder(bob.apiKey, body, key);
    assert.equal(bobs.status, 202);
    assert.notEqual(bobs.body.id, first.body.id);
    assert.equal(bobs.body.customerId, bob.id);
    // Concurrent duplicates make exactly one order: each answer is the replay or a 409.
    const raceKey = randomUUID();
    const race = await Promise.all(Array.from({ length: 20 }, () => api.placeOrder(alice.apiKey, body, raceKey)));
    const ids = new Set(race.filter((r) => r.status === 202).map((r) => r.body.id));
    assert.equal(ids.size, 1);
    for (const r of race) assert.ok(r.status === 202 || (r.status === 409 && r.body.code === 'IDEMPOTENCY_KEY_IN_FLIGHT'), `got ${r.status}`);
    await waitForStatus(api, alice.apiKey, first.body.id, ['confirmed']);
    assert.equal((await chargesFor(sys.paymentUrl, first.body.id)).length, 1);
  });

  test("another customer's order is a 404, to read and to cancel; the admin sees it", async () => {
    await api.putProduct(sys.adminKey, 'cup-own', { priceCents: 500, stock: 10 });
    const placed = await placeWhenOrderable(api, alice.apiKey, { items: [{ sku: 'cup-own', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    const peek = await api.getOrder(bob.apiKey, placed.body.id);
    assert.equal(peek.status, 404);
    assert.equal(peek.body.code, 'ORDER_NOT_FOUND');
    assert.equal((await api.cancelOrder(bob.apiKey, placed.body.id)).status, 404);
    assert.equal((await api.getOrder(sys.adminKey, placed.body.id)).status, 200);
    const bobList = await api.listOrders(bob.apiKey, '?limit=100');
    assert.ok(!bobList.body.items.some((o: { id: string }) => o.id === placed.body.id));
    assert.equal((await api.getOrder('ofk_0000000000000000_' + 'A'.repeat(43), placed.body.id)).status, 401);
    assert.equal((await api.call('GET', `/v1/orders/${placed.body.id}`)).status, 401);
  });

  test('lists own orders newest first with status filter and cursor pages', async () => {
    const carol = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'pad-list', { priceCents: 100, stock: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const r = await placeWhenOrderable(api, carol.apiKey, { items: [{ sku: 'pad-list', quantity: 1 }], paymentMethod: i === 4 ? 'pm_card_chargeDeclined' : 'pm_card_visa' });
      ids.push(r.body.id);
    }
    for (const id of ids) await waitForStatus(api, carol.apiKey, id, ['confirmed', 'cancelled']);
    const p1 = await api.listOrders(carol.apiKey, '?limit=2');
    assert.deepEqual(p1.body.items.map((o: { id: string }) => o.id), [ids[4], ids[3]]);
    const p2 = await api.listOrders(carol.apiKey, `?limit=2&cursor=${p1.body.nextCursor}`);
    assert.deepEqual(p2.body.items.map((o: { id: string }) => o.id), [ids[2], ids[1]]);
    const p3 = await api.listOrders(carol.apiKey, `?limit=2&cursor=${p2.body.nextCursor}`);
    assert.deepEqual(p3.body.items.map((o: { id: string }) => o.id), [ids[0]]);
    assert.equal(p3.body.nextCursor, null);
    const cancelled = await api.listOrders(carol.apiKey, '?status=cancelled');
    assert.deepEqual(cancelled.body.items.map((o: { id: string }) => o.id), [ids[4]]);
    const all = await api.listOrders(sys.adminKey, '?limit=100');
    assert.ok(all.body.items.length > 5, 'admin lists everyone');
  });

  test('a customer cancels a confirmed order: stock back, payment refunded once, one cancellation email', async () => {
    await api.putProduct(sys.adminKey, 'bike-cancel', { priceCents: 25000, stock: 2 });
    const placed = await placeWhenOrderable(api, alice.apiKey, { items: [{ sku: 'bike-cancel', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    const confirmed = await waitForStatus(api, alice.apiKey, placed.body.id, ['confirmed']);
    const c = await api.cancelOrder(alice.apiKey, confirmed.id);
    assert.equal(c.status, 202);
    assert.equal(c.body.status, 'cancelled');
    assert.equal(c.body.cancellationReason, 'customer_request');
    const again = await api.cancelOrder(alice.apiKey, confirmed.id);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'ORDER_NOT_CANCELLABLE');
    await waitUntil(async () => (await api.getProduct('bike-cancel')).body.stock === 2);
    const [charge] = await chargesFor(sys.paymentUrl, confirmed.id);
    await waitUntil(async () => (await refundsFor(sys.paymentUrl, charge!.id)).length === 1);
    await waitUntil(() => mailsFor(confirmed.id).length === 2);
    assert.deepEqual(mailsFor(confirmed.id).map((m) => m.messageId).sort(), [`order-${confirmed.id}-cancelled@orderflow`, `order-${confirmed.id}-confirmed@orderflow`]);
  });

  test('health, readiness and the OpenAPI document are served', async () => {
    assert.equal((await api.call('GET', '/healthz')).status, 200);
    assert.equal((await api.call('GET', '/readyz')).status, 200);
    const doc = await api.call('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    for (const path of ['/v1/orders', '/v1/orders/{id}', '/v1/orders/{id}/cancel', '/v1/customers', '/v1/products/{sku}']) {
      assert.ok(doc.body.paths[path], `documents ${path}`);
    }
    assert.equal(doc.body.paths['/v1/orders'].post.requestBody.content['application/json'].schema.additionalProperties, false);
    const idem = (doc.body.paths['/v1/orders'].post.parameters as Array<{ in: string; name: string; required?: boolean }>).find((p) => p.in === 'header' && p.name === 'idempotency-key');
    assert.equal(idem?.required, true, 'POST /v1/orders documents its required Idempotency-Key header');
  });

  test('40 concurrent buyers of 5 units: exactly 5 confirmed and stock 0', async () => {
    await api.putProduct(sys.adminKey, 'drop-race', { priceCents: 9900, stock: 5 });
    const buyers = await Promise.all(Array.from({ length: 40 }, () => api.createCustomer(sys.adminKey)));
    const placed = await Promise.all(buyers.map((b) => placeWhenOrderable(api, b.apiKey, { items: [{ sku: 'drop-race', quantity: 1 }], paymentMethod: 'pm_card_visa' })));
    assert.ok(placed.every((p) => p.status === 202));
    const final = await Promise.all(placed.map((p, i) => waitForStatus(api, buyers[i]!.apiKey, p.body.id, ['confirmed', 'cancelled'], 30_000)));
    assert.equal(final.filter((o) => o.status === 'confirmed').length, 5);
    assert.ok(final.filter((o) => o.status === 'cancelled').every((o) => o.cancellationReason === 'out_of_stock'));
    assert.equal((await api.getProduct('drop-race')).body.stock, 0);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`condition not met within ${timeoutMs} ms`);
}
