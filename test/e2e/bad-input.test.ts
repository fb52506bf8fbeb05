import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient } from './support/client.ts';

describe('bad input gets a 4xx problem+json and writes nothing', () => {
  let sys: SystemProcess;
  let api: ApiClient;
  let cleanup: () => Promise<void>;
  let cust: { id: string; apiKey: string };

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir });
    api = apiClient(sys.url);
    cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'ok-sku', { priceCents: 100, stock: 10 });
    // Make sure the sku is orderable, then start from a known state: one order.
    const first = await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'ok-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    await waitForStatus(api, cust.apiKey, first.body.id, ['confirmed']);
  });

  after(async () => {
    await sys.stop();
    await cleanup();
  });

  const valid = { items: [{ sku: 'ok-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' };
  const cases: Array<[string, { rawBody?: string; body?: unknown; contentType?: string }, number, string]> = [
    ['malformed JSON', { rawBody: '{"items": [' }, 400, 'MALFORMED_JSON'],
    ['empty body', { rawBody: '' }, 400, 'MALFORMED_JSON'],
    ['not JSON at all', { rawBody: 'items=1', contentType: 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['unknown sku', { body: { items: [{ sku: 'no-such-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' } }, 422, 'ORDER_UNKNOWN_SKU'],
    ['zero quantity', { body: { items: [{ sku: 'ok-sku', quantity: 0 }], paymentMethod: 'pm_card_visa' } }, 400, 'VALIDATION_FAILED'],
    ['negative quantity', { body: { items: [{ sku: 'ok-sku', quantity: -3 }], paymentMethod: 'pm_card_visa' } }, 400, 'VALIDATION_FAILED'],
    ['fractional quantity', { body: { items: [{ sku: 'ok-sku', quantity: 1.5 }], paymentMethod: 'pm_card_visa' } }, 400, 'VALIDATION_FAILED'],
    ['missing items', { body: { paymentMethod: 'pm_card_visa' } }, 400, 'VALIDATION_FAILED'],
    ['missing paymentMethod', { body: { items: [{ sku: 'ok-sku', quantity: 1 }] } }, 400, 'VALIDATION_FAILED'],
    ['no lines', { body: { items: [], paymentMethod: 'pm_card_visa' } }, 400, 'VALIDATION_FAILED'],
    ['unknown top-level field (customerId)', { body: { ...valid, customerId: 'someone-else' } }, 400, 'VALIDATION_FAILED'],
    ['unknown field (price)', { body: { items: [{ sku: 'ok-sku', quantity: 1, unitPriceCents: 1 }], paymentMethod: 'pm_card_visa' } }, 400, 'VALIDATION_FAILED'],
    ['status set by the client', { body: { ...valid, status: 'confirmed' } }, 400, 'VALIDATION_FAILED'],
    ['array body', { body: [valid] }, 400, 'VALIDATION_FAILED'],
  ];

  for (const [name, input, status, code] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      const before = await api.listOrders(cust.apiKey, '?limit=100');
      const stockBefore = (await api.getProduct('ok-sku')).body.stock;
      const r = await api.call('POST', '/v1/orders', {
        key: cust.apiKey,
        ...(input.rawBody !== undefined ? { rawBody: input.rawBody } : { body: input.body }),
        headers: { 'idempotency-key': randomUUID(), ...(input.contentType ? { 'content-type': input.contentType } : {}) },
      });
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(r.body.code, code);
      assert.equal(r.body.status, status);
      assert.equal(typeof r.body.title, 'string');
      assert.equal(typeof r.body.type, 'string');
      assert.ok(!JSON.stringify(r.body).includes('    at '), 'no stack traces');
      await new Promise((res) => setTimeout(res, 50));
      const afterList = await api.listOrders(cust.apiKey, '?limit=100');
      assert.equal(afterList.body.items.length, before.body.items.length, 'no order written');
      assert.equal((await api.getProduct('ok-sku')).body.stock, stockBefore, 'no stock touched');
    });
  }

  test('a rejected request does not burn its idempotency key', async () => {
    const key = randomUUID();
    const bad = await api.placeOrder(cust.apiKey, { items: [{ sku: 'ok-sku', quantity: 0 }], paymentMethod: 'pm_card_visa' }, key);
    assert.equal(bad.status, 400);
    const good = await api.placeOrder(cust.apiKey, valid, key);
    assert.equal(good.status, 202);
  });

  test('bad product input and unknown routes are problems too', async () => {
    const p = await api.call('PUT', '/v1/products/bad-product', { key: sys.adminKey, body: { name: 'x', priceCents: -1, currency: 'eur', stock: 1 } });
    assert.equal(p.status, 400);
    assert.equal((await api.getProduct('bad-product')).status, 404);
    const bogusSku = await api.call('PUT', '/v1/products/has%20space', { key: sys.adminKey, body: { name: 'x', priceCents: 1, currency: 'eur', stock: 1 } });
    assert.equal(bogusSku.status, 400);
    const customerPut = await api.call('PUT', '/v1/products/ok-sku', { key: cust.apiKey, body: { name: 'x', priceCents: 1, currency: 'eur', stock: 1 } });
    assert.equal(customerPut.status, 403);
    const nf = await api.call('GET', '/v1/nothing-here');
    assert.equal(nf.status, 404);
    assert.match(nf.headers.get('content-type') ?? '', /problem\+json/);
    const badId = await api.getOrder(cust.apiKey, 'not-a-uuid');
    assert.equal(badId.status, 400);
    const dup = await api.call('POST', '/v1/customers', { key: sys.adminKey, body: { email: 'dup@example.com', name: 'D' } });
    assert.equal(dup.status, 201);
    const dup2 = await api.call('POST', '/v1/customers', { key: sys.adminKey, body: { email: 'DUP@example.com', name: 'D' } });
    assert.equal(dup2.status, 409);
    assert.equal(dup2.body.code, 'CUSTOMER_EMAIL_TAKEN');
    const badEmail = await api.call('POST', '/v1/customers', { key: sys.adminKey, body: { email: 'not-an-email', name: 'D' } });
    assert.equal(badEmail.status, 400);
  });
});
