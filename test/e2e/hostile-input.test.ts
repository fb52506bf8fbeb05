import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient, type HttpResult } from './support/client.ts';

/** Strings that have broken SQL, JSON, logs, paths and parsers elsewhere. */
export const HOSTILE = [
  "' OR '1'='1",
  "'; DROP TABLE orders; --",
  'Robert"); DELETE FROM customers; --',
  '1 UNION SELECT hash FROM api_keys',
  '%27%20OR%201%3D1',
  '\u0000',
  'a\u0000b',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\r\nSet-Cookie: x=1',
  '🙂'.repeat(50),
  '\u202e\u200b',
  '__proto__',
  'constructor',
  '-1',
  '1e309',
  'null',
];

function assertProblem(r: HttpResult, what: string): void {
  assert.ok(r.status < 500, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  if (r.status >= 400) {
    assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
    assert.equal(typeof r.body.code, 'string', what);
    assert.ok(!JSON.stringify(r.body).includes('    at '), `${what}: no stack trace`);
  }
}

describe('hostile input: never a 5xx, stored verbatim when accepted, nothing else written', () => {
  let sys: SystemProcess;
  let api: ApiClient;
  let cleanup: () => void;
  let cust: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  let orderId: string;

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_RATE_LIMIT_PER_KEY: '0' } });
    api = apiClient(sys.url);
    cust = await api.createCustomer(sys.adminKey);
    other = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'h-sku', { priceCents: 100, stock: 1000 });
    const o = await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'h-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    orderId = o.body.id;
    await waitForStatus(api, cust.apiKey, orderId, ['confirmed']);
  });

  after(async () => {
    await sys.stop();
    await cleanup();
  });

  test('into every field of every route', async () => {
    const ordersBefore = (await api.listOrders(sys.adminKey, '?limit=100')).body.items.length;
    let accepted = 0;
    for (const h of HOSTILE) {
      const enc = encodeURIComponent(h);
      const valid = { items: [{ sku: 'h-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' };
      const tries: Array<[string, () => Promise<HttpResult>]> = [
        ['customer email', () => api.call('POST', '/v1/customers', { key: sys.adminKey, body: { email: h, name: 'x' } })],
        ['order sku', () => api.placeOrder(cust.apiKey, { ...valid, items: [{ sku: h, quantity: 1 }] })],
        ['order quantity', () => api.placeOrder(cust.apiKey, { ...valid, items: [{ sku: 'h-sku', quantity: h }] })],
        ['order paymentMethod', () => api.placeOrder(cust.apiKey, { ...valid, paymentMethod: h })],
        ['order field name', () => api.placeOrder(cust.apiKey, { ...valid, [h]: 1 })],
        ['product path sku', () => api.call('GET', `/v1/products/${enc}`)],
        ['product put sku', () => api.call('PUT', `/v1/products/${enc}`, { key: sys.adminKey, body: { name: 'x', priceCents: 1, currency: 'eur', stock: 1 } })],
        ['product currency', () => api.call('PUT', '/v1/products/h-other', { key: sys.adminKey, body: { name: 'x', priceCents: 1, currency: h, stock: 1 } })],
        ['product price', () => api.call('PUT', '/v1/products/h-other', { key: sys.adminKey, body: { name: 'x', priceCents: h, currency: 'eur', stock: 1 } })],
        ['order id', () => api.getOrder(cust.apiKey, enc)],
        ['cancel id', () => api.cancelOrder(cust.apiKey, enc)],
        ['list status', () => api.listOrders(cust.apiKey, `?status=${enc}`)],
        ['list limit', () => api.listOrders(cust.apiKey, `?limit=${enc}`)],
        ['list cursor', () => api.listOrders(cust.apiKey, `?cursor=${enc}`)],
        ['list unknown param', () => api.listOrders(cust.apiKey, `?${enc}=1`)],
        ['customer id for keys', () => api.call('POST', `/v1/customers/${enc}/keys`, { key: sys.adminKey })],
        ['key id to revoke', () => api.call('POST', `/v1/keys/${enc}/revoke`, { key: sys.adminKey })],
        ['dead letter id', () => api.call('POST', `/v1/admin/dead-letters/${enc}/replay`, { key: sys.adminKey })],
        ['dead letter consumer', () => api.call('GET', `/v1/admin/dead-letters?consumer=${enc}`, { key: sys.adminKey })],
        ['bearer token', () => api.listOrders(h.replace(/[^\x21-\xff]/gu, '') || 'x')],
      ];
      if (!/[\r\n\u0000\u202e\u200b🙂]/u.test(h)) tries.push(['idempotency key', () => api.placeOrder(cust.apiKey, { ...valid, items: [{ sku: 'no-such', quantity: 1 }] }, h)]);
      // One at a time, in this order: an order for sku h is answered before the PUT of sku h creates that product.
      for (const [what, send] of tries) {
        const r = await send();
        assertProblem(r, `${what} = ${JSON.stringify(h)}`);
        // A word-like payment method ('null', '__proto__') is valid data: the provider declines it later.
        if (r.status === 202) {
          assert.ok(what === 'order paymentMethod' && /^\w{1,100}$/.test(h), `${what} = ${JSON.stringify(h)} accepted`);
          accepted++;
        }
      }
    }
    // The list is the read model, filled from events by the pipeline: give the accepted orders a moment to arrive.
    const listed = async () => (await api.listOrders(sys.adminKey, '?limit=100')).body.items.length as number;
    for (const until = Date.now() + 10_000; (await listed()) < ordersBefore + accepted && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await listed(), ordersBefore + accepted, 'no other order written');
    assert.equal((await api.getProduct('h-other')).status, 404, 'no product written');
    assert.equal((await api.getOrder(cust.apiKey, orderId)).body.status, 'confirmed');
  });

  test('free-text fields take hostile strings and give them back verbatim: they are data, never SQL', async () => {
    for (const h of HOSTILE.filter((x) => x.length <= 200)) {
      const email = `h-${randomUUID()}@example.com`;
      if (h.includes('\u0000')) {
        // PostgreSQL's text cannot hold NUL: both modes refuse it alike, and write nothing.
        const c = await api.call('POST', '/v1/customers', { key: sys.adminKey, body: { email, name: h } });
        assertProblem(c, `customer name ${JSON.stringify(h)}`);
        assert.equal(c.body.code, 'VALIDATION_FAILED');
        const before = (await api.getProduct('h-named')).body;
        const p = await api.call('PUT', '/v1/products/h-named', { key: sys.adminKey, body: { name: h, priceCents: 1, currency: 'eur', stock: 1 } });
        assert.equal(p.body.code, 'VALIDATION_FAILED');
        assert.deepEqual((await api.getProduct('h-named')).body, before, 'the product is untouched');
        continue;
      }
      const c = await api.call('POST', '/v1/customers', { key: sys.adminKey, body: { email, name: h } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.body.name, h);
      const p = await api.call('PUT', '/v1/products/h-named', { key: sys.adminKey, body: { name: h, priceCents: 1, currency: 'eur', stock: 1 } });
      assert.ok(p.status === 200 || p.status === 201, JSON.stringify(p.body));
      assert.equal((await api.getProduct('h-named')).body.name, h);
    }
    // The tables the injections name are all still there and whole.
    assert.equal((await api.getOrder(cust.apiKey, orderId)).status, 200);
    assert.equal((await api.listOrders(other.apiKey)).status, 200);
  });
});
