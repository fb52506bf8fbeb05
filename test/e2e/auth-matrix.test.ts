import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient } from './support/client.ts';

type Who = 'none' | 'garbage' | 'wrong' | 'customer' | 'admin';
interface Fixture {
  customerId: string;
  orderForCustomer: string;
  orderForAdmin: string;
  spareKeyForCustomer: string;
  spareKeyForAdmin: string;
}
interface RouteCase {
  /** Expected status per caller. */
  expect: Record<Who, number>;
  request(f: Fixture, who: Who): { path: string; body?: unknown; headers?: Record<string, string> };
}

// A key-shaped token that is not the admin key is refused on admin routes without being looked
// up (403, the same for a live, revoked or made-up customer key); elsewhere it is a 401.
const ADMIN_ONLY = { none: 401, garbage: 401, wrong: 403, customer: 403 };
const ANY_KEY = { none: 401, garbage: 401, wrong: 401 };

/**
 * Every route in the OpenAPI document, with the answer each kind of caller must get. A route
 * missing here fails the test, so a new route cannot ship without its authorization decided.
 */
const ROUTES: Record<string, RouteCase> = {
  'POST /v1/customers': { expect: { ...ADMIN_ONLY, admin: 201 }, request: () => ({ path: '/v1/customers', body: { email: `m-${randomUUID()}@example.com`, name: 'M' } }) },
  'POST /v1/customers/{id}/keys': { expect: { ...ADMIN_ONLY, admin: 201 }, request: (f) => ({ path: `/v1/customers/${f.customerId}/keys` }) },
  'GET /v1/customers/{id}/keys': { expect: { ...ADMIN_ONLY, admin: 200 }, request: (f) => ({ path: `/v1/customers/${f.customerId}/keys` }) },
  'POST /v1/keys/{keyId}/revoke': {
    expect: { ...ADMIN_ONLY, admin: 200 },
    request: (f, who) => ({ path: `/v1/keys/${who === 'admin' ? f.spareKeyForAdmin : f.spareKeyForCustomer}/revoke` }),
  },
  'PUT /v1/products/{sku}': { expect: { ...ADMIN_ONLY, admin: 200 }, request: () => ({ path: '/v1/products/matrix-sku', body: { name: 'M', priceCents: 100, currency: 'eur', stock: 1000 } }) },
  'GET /v1/products/{sku}': { expect: { none: 200, garbage: 200, wrong: 200, customer: 200, admin: 200 }, request: () => ({ path: '/v1/products/matrix-sku' }) },
  'POST /v1/orders': {
    expect: { ...ANY_KEY, customer: 202, admin: 403 },
    request: () => ({ path: '/v1/orders', body: { items: [{ sku: 'matrix-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' }, headers: { 'idempotency-key': randomUUID() } }),
  },
  'GET /v1/orders': { expect: { ...ANY_KEY, customer: 200, admin: 200 }, request: () => ({ path: '/v1/orders' }) },
  'GET /v1/orders/{id}': { expect: { ...ANY_KEY, customer: 200, admin: 200 }, request: (f) => ({ path: `/v1/orders/${f.orderForCustomer}` }) },
  'POST /v1/orders/{id}/cancel': {
    expect: { ...ANY_KEY, customer: 202, admin: 202 },
    request: (f, who) => ({ path: `/v1/orders/${who === 'admin' ? f.orderForAdmin : f.orderForCustomer}/cancel` }),
  },
  'GET /v1/admin/dead-letters': { expect: { ...ADMIN_ONLY, admin: 200 }, request: () => ({ path: '/v1/admin/dead-letters' }) },
  'GET /v1/admin/resilience': { expect: { ...ADMIN_ONLY, admin: 200 }, request: () => ({ path: '/v1/admin/resilience' }) },
  // No dead letter has this id: the admin gets past authorization to a 404.
  'POST /v1/admin/dead-letters/{id}/replay': { expect: { ...ADMIN_ONLY, admin: 404 }, request: () => ({ path: `/v1/admin/dead-letters/${randomUUID()}/replay` }) },
};

describe('authorization on every documented route', () => {
  let sys: SystemProcess;
  let api: ApiClient;
  let cleanup: () => void;
  let fixture: Fixture;
  let customerKey: string;
  let openapi: { paths: Record<string, Record<string, unknown>> };

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_RATE_LIMIT_PER_KEY: '0' } });
    api = apiClient(sys.url);
    const c = await api.createCustomer(sys.adminKey);
    customerKey = c.apiKey;
    await api.putProduct(sys.adminKey, 'matrix-sku', { priceCents: 100, stock: 1000 });
    const body = { items: [{ sku: 'matrix-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' };
    const o1 = await placeWhenOrderable(api, customerKey, body);
    const o2 = await placeWhenOrderable(api, customerKey, body);
    await waitForStatus(api, customerKey, o1.body.id, ['confirmed']);
    await waitForStatus(api, customerKey, o2.body.id, ['confirmed']);
    const spare = async () => (await api.call('POST', `/v1/customers/${c.id}/keys`, { key: sys.adminKey })).body.id as string;
    fixture = { customerId: c.id, orderForCustomer: o1.body.id, orderForAdmin: o2.body.id, spareKeyForCustomer: await spare(), spareKeyForAdmin: await spare() };
    openapi = (await api.call('GET', '/openapi.json')).body;
  });

  after(async () => {
    await sys.stop();
    await cleanup();
  });

  test('every route in /openapi.json has a decided answer, and no decided route is missing from it', () => {
    const documented = Object.entries(openapi.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual([...documented].sort(), Object.keys(ROUTES).sort());
  });

  for (const who of ['none', 'garbage', 'wrong', 'customer', 'admin'] as const) {
    test(`every route answers as decided with ${who === 'none' ? 'no key' : `a ${who} key`}`, async () => {
      const key = { none: undefined, garbage: 'not-a-key', wrong: `ofk_${'0'.repeat(16)}_${'x'.repeat(43)}`, customer: customerKey, admin: sys.adminKey }[who];
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const [route, rc] of Object.entries(ROUTES)) {
        const method = route.split(' ')[0]!;
        const r = rc.request(fixture, who);
        const res = await api.call(method, r.path, { ...(key ? { key } : {}), ...(r.body !== undefined ? { body: r.body } : {}), ...(r.headers ? { headers: r.headers } : {}) });
        got[route] = res.status;
        want[route] = rc.expect[who];
        if (res.status >= 400) {
          assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `${route}: problem+json`);
          assert.equal(res.body.status, res.status);
        }
      }
      assert.deepEqual(got, want);
    });
  }

  test("another customer's order is a 404 to read and to cancel, and stays untouched", async () => {
    const other = await api.createCustomer(sys.adminKey);
    const mine = await placeWhenOrderable(api, customerKey, { items: [{ sku: 'matrix-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    const confirmed = await waitForStatus(api, customerKey, mine.body.id, ['confirmed']);
    const read = await api.getOrder(other.apiKey, mine.body.id);
    assert.equal(read.status, 404);
    assert.equal(read.body.code, 'ORDER_NOT_FOUND');
    const unknown = await api.getOrder(other.apiKey, randomUUID());
    assert.equal(unknown.status, 404);
    assert.deepEqual({ ...read.body, instance: undefined, detail: undefined }, { ...unknown.body, instance: undefined, detail: undefined }, 'indistinguishable from an order that does not exist');
    const cancel = await api.cancelOrder(other.apiKey, mine.body.id);
    assert.equal(cancel.status, 404);
    assert.equal((await api.getOrder(customerKey, mine.body.id)).body.status, confirmed.status);
    const list = await api.listOrders(other.apiKey);
    assert.deepEqual(list.body.items, []);
  });
});
