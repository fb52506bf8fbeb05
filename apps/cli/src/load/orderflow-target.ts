import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import type { Operation } from './mix.ts';

/** The customers and products a load run made for itself through the admin API. */
export interface OrderflowTarget {
  readonly url: string;
  readonly customers: number;
  readonly sku: string;
  /** Sends one request of the given kind as the next customer (round robin); resolves with its status. */
  send(op: Operation, signal: AbortSignal): Promise<number>;
  /** Adds customers until there are at least `n` (each with one order, so `get` has something to read). */
  ensureCustomers(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Base URL of orderflow, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly adminKey: string;
  /** Customers to create at once (more may be added with ensureCustomers). */
  readonly customers: number;
  /** Keep-alive connections the client may open. */
  readonly connections: number;
  /** How long to wait for the new product to become orderable. Default 30 s. */
  readonly setupTimeoutMs?: number;
}

/** Thrown when setting up the run's customers and products fails; the message has the server's answer. */
export class SetupError extends Error {
  override name = 'SetupError';
}

interface Customer {
  readonly apiKey: string;
  /** Ids of this customer's most recent orders (for `get`). */
  readonly recent: string[];
}

const RECENT = 64;

/**
 * Creates the run's own product (stock enough for any run) and customers through the admin key,
 * waits until the product is orderable, and returns a sender for `place`, `get` and `list`.
 * Names carry a random run id, so runs never collide.
 * @throws SetupError when the admin API refuses (wrong key) or the product never becomes orderable.
 */
export async function openOrderflowTarget(opts: TargetOptions): Promise<OrderflowTarget> {
  const run = randomBytes(4).toString('hex');
  const url = opts.url.replace(/\/+$/, '');
  const pool = new Pool(url, { connections: opts.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const sku = `load-${run}`;
  const customers: Customer[] = [];
  const orderBody = JSON.stringify({ items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_visa' });
  let seq = 0;
  let next = 0;

  const call = async (method: 'GET' | 'POST' | 'PUT', path: string, key: string, body?: string, extra: Record<string, string> = {}, signal?: AbortSignal) => {
    const res = await pool.request({
      method,
      path,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extra },
      ...(body === undefined ? {} : { body }),
      ...(signal ? { signal } : {}),
    });
    return res;
  };
  const place = async (c: Customer, signal?: AbortSignal): Promise<number> => {
    const res = await call('POST', '/v1/orders', c.apiKey, orderBody, { 'idempotency-key': `load-${run}-${(++seq).toString(36)}` }, signal);
    if (res.statusCode !== 202) {
      await res.body.dump();
      return res.statusCode;
    }
    const { id } = (await res.body.json()) as { id?: string };
    if (typeof id === 'string') {
      c.recent.push(id);
      if (c.recent.length > RECENT) c.recent.shift();
    }
    return 202;
  };
  const admin = async (method: 'POST' | 'PUT', path: string, body: unknown, expected: number[]): Promise<Record<string, unknown>> => {
    const res = await call(method, path, opts.adminKey, JSON.stringify(body));
    const text = await res.body.text();
    if (!expected.includes(res.statusCode)) throw new SetupError(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  const addCustomer = async (): Promise<void> => {
    const i = customers.length;
    const body = await admin('POST', '/v1/customers', { email: `load-${run}-${i}@example.com`, name: `Load ${run} ${i}` }, [201]);
    if (typeof body.apiKey !== 'string') throw new SetupError('POST /v1/customers answered without an apiKey');
    const c: Customer = { apiKey: body.apiKey, recent: [] };
    const status = await place(c);
    if (status !== 202) throw new SetupError(`the first order of a new customer was answered ${status}`);
    customers.push(c);
  };

  try {
    await admin('PUT', `/v1/products/${sku}`, { name: `Load test ${run}`, priceCents: 100, currency: 'eur', stock: 1_000_000_000 }, [200, 201]);
    // The orders service learns skus from inventory's events: until then an order is a 422.
    const probe: Customer = { apiKey: String((await admin('POST', '/v1/customers', { email: `load-${run}-probe@example.com`, name: `Load ${run} probe` }, [201])).apiKey), recent: [] };
    const deadline = Date.now() + (opts.setupTimeoutMs ?? 30_000);
    for (;;) {
      const status = await place(probe);
      if (status === 202) break;
      if (status !== 422 || Date.now() > deadline) throw new SetupError(`product ${sku} not orderable: POST /v1/orders answered ${status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    while (customers.length < Math.max(1, opts.customers)) await addCustomer();
  } catch (err) {
    await pool.close();
    if (err instanceof SetupError) throw err;
    throw new SetupError(`cannot set up the load at ${url}: ${(err as Error).message}`, { cause: err });
  }

  return {
    url,
    sku,
    get customers() {
      return customers.length;
    },
    async send(op, signal) {
      const c = customers[next++ % customers.length]!;
      if (op === 'place') return place(c, signal);
      const path = op === 'get' ? `/v1/orders/${c.recent[Math.floor(Math.random() * c.recent.length)]}` : '/v1/orders?limit=20';
      const res = await call('GET', path, c.apiKey, undefined, {}, signal);
      await res.body.dump();
      return res.statusCode;
    },
    async ensureCustomers(n) {
      while (customers.length < n) await addCustomer();
    },
    close: () => pool.close(),
  };
}

/**
 * Customers a run at `rate` req/s needs so that no key goes past half of orderflow's default
 * per-key limit (100 req/s): 40 req/s per customer.
 */
export function customersFor(rate: number): number {
  return Math.max(1, Math.ceil(rate / 40));
}
