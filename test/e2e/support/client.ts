import { randomUUID } from 'node:crypto';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A thin JSON client for the v1 API. */
export function apiClient(baseUrl: string) {
  async function call<T = any>(method: string, path: string, opts: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  return {
    call,
    async createCustomer(adminKey: string, email = `c-${randomUUID()}@example.com`, name = 'Test Customer') {
      const r = await call('POST', '/v1/customers', { key: adminKey, body: { email, name } });
      if (r.status !== 201) throw new Error(`create customer: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { id: string; email: string; name: string; apiKey: string };
    },
    async putProduct(adminKey: string, sku: string, p: { name?: string; priceCents: number; currency?: string; stock: number }) {
      const r = await call('PUT', `/v1/products/${sku}`, { key: adminKey, body: { name: p.name ?? sku, priceCents: p.priceCents, currency: p.currency ?? 'eur', stock: p.stock } });
      if (r.status !== 200 && r.status !== 201) throw new Error(`put product: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async getProduct(sku: string) {
      return call('GET', `/v1/products/${sku}`);
    },
    /** `idempotencyKey: null` sends none. */
    placeOrder(key: string, body: unknown, idempotencyKey: string | null = randomUUID()) {
      return call('POST', '/v1/orders', { key, body, headers: idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey } });
    },
    getOrder(key: string, id: string) {
      return call('GET', `/v1/orders/${id}`, { key });
    },
    listOrders(key: string, query = '') {
      return call('GET', `/v1/orders${query}`, { key });
    },
    cancelOrder(key: string, id: string) {
      return call('POST', `/v1/orders/${id}/cancel`, { key });
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/**
 * Products reach the orders service as events, so a sku is orderable a moment after its PUT.
 * An unknown-sku 422 writes nothing (not even the idempotency key), so retrying it is safe.
 */
export async function placeWhenOrderable(api: ApiClient, key: string, body: unknown, idempotencyKey: string = randomUUID(), timeoutMs = 5000): Promise<HttpResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.placeOrder(key, body, idempotencyKey);
    if (r.status !== 422 || (r.body as { code?: string }).code !== 'ORDER_UNKNOWN_SKU' || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Polls an order until its status is one of `statuses`. */
export async function waitForStatus(api: ApiClient, key: string, id: string, statuses: string[], timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: HttpResult | undefined;
  while (Date.now() < deadline) {
    last = await api.getOrder(key, id);
    if (last.status === 200 && statuses.includes((last.body as { status: string }).status)) return last.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`order ${id} did not reach ${statuses.join('|')} in ${timeoutMs} ms; last: ${JSON.stringify(last?.body)}`);
}
