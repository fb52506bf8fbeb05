import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPaymentSimulator, type PaymentSimulator } from '@orderflow/provider-simulator';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startSlowProviderProxy, type SlowProxy } from '../support/slow-provider-proxy.ts';
import { scrapeAll, startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient } from './support/client.ts';
import { orderflowCli } from './support/cli.ts';

const PROMTOOL = '/usr/bin/promtool';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The value of one sample in Prometheus text, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (labels === '' && l.startsWith(`${name}{`) === false && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function retryUntil<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('observability: one order followed everywhere, the two-minute question answered', () => {
  let sys: SystemProcess;
  let smtp: SmtpPeer;
  let sim: PaymentSimulator;
  let proxy: SlowProxy;
  let api: ApiClient;
  let cleanup: () => Promise<void>;
  let simDir: string;
  const customerKeys: string[] = [];

  before(async () => {
    smtp = await startSmtpPeer();
    simDir = mkdtempSync(join(tmpdir(), 'orderflow-sim-'));
    sim = await startPaymentSimulator({ secretKey: 'sk_test_orderflow', dataFile: join(simDir, 'sim.db') });
    // One card is slow at the provider: the customer who pays with it has slow orders.
    proxy = await startSlowProviderProxy({ target: sim.url, paymentMethod: 'pm_card_mastercard', delayMs: 1500 });
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_SMTP_URL: smtp.url, ORDERFLOW_PAYMENT_URL: proxy.url, ORDERFLOW_CACHE: 'on' } });
    api = apiClient(sys.url);
    await api.putProduct(sys.adminKey, 'obs-tea', { priceCents: 300, stock: 1000 });
    // The sku reaches orders by an event: wait until it is orderable, so the traced order below is
    // one request, not a trace stretched over retries (which `orderflow slow` would rank as slow).
    const probe = await api.createCustomer(sys.adminKey);
    customerKeys.push(probe.apiKey);
    assert.equal((await placeWhenOrderable(api, probe.apiKey, { items: [{ sku: 'obs-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' })).status, 202);
  });

  // Whatever `before` got to start is stopped, also when it failed half way (a server left open
  // keeps the file's process, and the whole run, waiting).
  after(async () => {
    const code = await sys?.stop();
    await proxy?.close();
    await sim?.close();
    await smtp?.close();
    await cleanup?.();
    if (simDir) rmSync(simDir, { recursive: true, force: true });
    if (sys) assert.equal(code, 0);
  });

  test('an order sent with a known traceparent has spans from all four services under that trace id, and the id is in the logs', async () => {
    const customer = await api.createCustomer(sys.adminKey);
    customerKeys.push(customer.apiKey);
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const r = await api.call('POST', '/v1/orders', {
      key: customer.apiKey,
      body: { items: [{ sku: 'obs-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' },
      headers: { 'idempotency-key': `trace-${traceId}`, traceparent },
    });
    // The product may not be orderable yet (it reaches orders by an event): retry with the same key.
    let placed = r;
    for (let i = 0; placed.status === 422 && i < 100; i++) {
      await sleep(30);
      placed = await api.call('POST', '/v1/orders', { key: customer.apiKey, body: { items: [{ sku: 'obs-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' }, headers: { 'idempotency-key': `trace-${traceId}`, traceparent } });
    }
    assert.equal(placed.status, 202, JSON.stringify(placed.body));
    const orderId = (placed.body as { id: string }).id;
    await waitForStatus(api, customer.apiKey, orderId, ['confirmed']);

    const trace = await retryUntil(async () => {
      const out = await orderflowCli(sys.dataDir, ['trace', traceId, '--json']);
      if (out.code !== 0) return undefined;
      const t = JSON.parse(out.stdout) as { spans: Array<Record<string, unknown>> };
      const flat: Array<{ name: string; service: string; parentSpanId?: string; children: unknown[] }> = [];
      const walk = (n: any) => {
        flat.push(n);
        n.children.forEach(walk);
      };
      t.spans.forEach(walk);
      return flat.some((s) => s.name === 'smtp send') ? flat : undefined;
    }, 'the smtp span of the trace');

    const services = new Set(trace.map((s) => s.service));
    for (const s of ['orders', 'inventory', 'payments', 'notifications']) assert.ok(services.has(s), `a span from ${s}: ${[...services].join(', ')}`);
    const names = trace.map((s) => s.name);
    for (const n of ['POST /v1/orders', 'payment_provider charge', 'smtp send', 'publish orders.OrderPlaced', 'consume orders.OrderPlaced', 'consume payments.PaymentSucceeded', 'consume orders.OrderConfirmed']) {
      assert.ok(names.includes(n), `span ${n} in ${names.join(' | ')}`);
    }
    assert.ok(names.some((n) => n.startsWith('db.transaction')), 'database spans');
    // One tree: the request span is the only root (its parent is the client's span).
    const ids = new Set(trace.map((s: any) => s.spanId));
    const roots = trace.filter((s: any) => !s.parentSpanId || !ids.has(s.parentSpanId));
    assert.deepEqual(roots.map((s) => s.name), ['POST /v1/orders']);
    assert.equal((roots[0] as any).parentSpanId, traceparent.split('-')[2], "the request span's parent is the client's span");

    const text = await orderflowCli(sys.dataDir, ['trace', traceparent]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /POST \/v1\/orders\s+\[orders\]/);
    assert.match(text.stdout, /payment_provider charge\s+\[payments\]/);

    const lines = sys.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const inTrace = lines.filter((l) => l.trace_id === traceId);
    assert.ok(inTrace.some((l) => l.msg === 'request' && l.route === '/v1/orders' && l.customer_id === customer.id && l.order_id === orderId && typeof l.span_id === 'string'), 'the request log line carries trace, customer and order');
    assert.ok(inTrace.some((l) => l.msg === 'order accepted'), 'a handler log line carries the trace id');
    const unknown = await orderflowCli(sys.dataDir, ['trace', '0'.repeat(31) + '1']);
    assert.equal(unknown.code, 1);
  });

  test("one customer's slow card: `orderflow slow` names that customer and the provider span as the cause", async () => {
    const slow = await api.createCustomer(sys.adminKey);
    const fast = await api.createCustomer(sys.adminKey);
    customerKeys.push(slow.apiKey, fast.apiKey);
    const orders: Array<[string, string]> = [];
    for (let i = 0; i < 3; i++) {
      for (const [c, pm] of [[slow, 'pm_card_mastercard'], [fast, 'pm_card_visa']] as const) {
        const r = await placeWhenOrderable(api, c.apiKey, { items: [{ sku: 'obs-tea', quantity: 1 }], paymentMethod: pm });
        assert.equal(r.status, 202);
        orders.push([c.apiKey, (r.body as { id: string }).id]);
      }
    }
    for (const [key, id] of orders) await waitForStatus(api, key, id, ['confirmed']);
    assert.ok(proxy.delayed >= 3);

    const report = await retryUntil(async () => {
      const out = await orderflowCli(sys.dataDir, ['slow', '--since', '5m', '--json']);
      if (out.code !== 0) return undefined;
      const rep = JSON.parse(out.stdout) as { slowest: Array<any>; customers: Array<any> };
      return rep.slowest.filter((s) => s.customerId === slow.id).length >= 3 ? rep : undefined;
    }, 'three slow requests in the report', 20_000);
    const top = report.slowest[0];
    assert.equal(top.customerId, slow.id);
    assert.equal(top.route, '/v1/orders');
    assert.equal(top.slowestSpan.name, 'payment_provider charge');
    assert.equal(top.slowestSpan.service, 'payments');
    assert.ok(top.slowestSpan.selfMs >= 1400, `the provider span holds the delay: ${top.slowestSpan.selfMs}`);
    assert.ok(top.totalMs >= 1500);
    assert.ok(top.requestMs < top.totalMs / 2, 'the HTTP request itself was quick: the order was slow after it');
    assert.equal(report.customers[0].customerId, slow.id, 'the most affected customer');
    assert.ok(!report.customers.slice(0, 1).some((c: any) => c.customerId === fast.id));

    const text = await orderflowCli(sys.dataDir, ['slow', '--since', '5m']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`customer ${slow.id}`));
    assert.match(text.stdout, /why: payment_provider charge \[payments\]/);
  });

  test('/metrics passes promtool and every named metric is present and moves', async () => {
    const entry = await fetch(`${sys.url}/metrics`);
    assert.equal(entry.status, 200);
    assert.match(entry.headers.get('content-type') ?? '', /^text\/plain/);
    await entry.text();
    // Every process's own /metrics, as Prometheus scrapes them: one in embedded mode, each instance of a cluster.
    const total = (texts: string[], name: string, labels: string) => texts.reduce((n, t) => n + (sample(t, name, labels) ?? 0), 0);
    const beforeTexts = await scrapeAll(sys);
    const before = beforeTexts.join('\n');
    for (const name of [
      'http_request_duration_seconds_bucket',
      'orderflow_orders_total',
      'orderflow_outbox_pending',
      'orderflow_outbox_oldest_age_seconds',
      'orderflow_consumer_lag_messages',
      'orderflow_consumer_redeliveries_total',
      'orderflow_circuit_breaker_state',
      'orderflow_bulkhead_queue_length',
      'orderflow_dead_letters',
      'orderflow_cache_hits_total',
      'orderflow_cache_misses_total',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      assert.ok(before.includes(`\n${name}`) || before.startsWith(name), `${name} is exposed`);
    }
    for (const s of ['orders', 'inventory', 'payments', 'notifications']) assert.ok(before.includes(`orderflow_outbox_pending{service="${s}"}`), s);
    assert.ok(before.includes('orderflow_circuit_breaker_state{dependency="payment_provider"} 0'));

    const confirmedBefore = total(beforeTexts, 'orderflow_orders_total', 'status="confirmed"');
    const postsBefore = total(beforeTexts, 'http_request_duration_seconds_count', 'route="/v1/orders",method="POST",status="202"');
    const c = await api.createCustomer(sys.adminKey);
    customerKeys.push(c.apiKey);
    const r = await placeWhenOrderable(api, c.apiKey, { items: [{ sku: 'obs-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    await waitForStatus(api, c.apiKey, (r.body as { id: string }).id, ['confirmed']);
    const afterTexts = await retryUntil(async () => {
      const t = await scrapeAll(sys);
      return total(t, 'orderflow_orders_total', 'status="confirmed"') > confirmedBefore ? t : undefined;
    }, 'the confirmed counter to move');
    assert.equal(total(afterTexts, 'http_request_duration_seconds_count', 'route="/v1/orders",method="POST",status="202"'), postsBefore + 1);

    if (existsSync(PROMTOOL)) {
      const dir = mkdtempSync(join(tmpdir(), 'orderflow-prom-'));
      try {
        for (const [i, text] of afterTexts.entries()) {
          const file = join(dir, `metrics-${i}.txt`);
          writeFileSync(file, text);
          try {
            execFileSync('/bin/sh', ['-c', `${PROMTOOL} check metrics < ${file}`], { stdio: 'pipe' });
          } catch (error) {
            const e = error as { stdout?: Buffer; stderr?: Buffer };
            assert.fail(`promtool check metrics (target ${i}): ${e.stdout?.toString()}${e.stderr?.toString()}`);
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else if (process.env.CI) assert.fail('promtool is missing: .ci/run installs the prometheus package');
  });

  test('no secret reaches the logs: API keys, the admin key, the provider key, card data', async () => {
    const text = sys.logs.join('\n');
    assert.ok(sys.logs.length > 20);
    for (const key of customerKeys) assert.ok(!text.includes(key), 'a customer API key was logged');
    assert.ok(!text.includes(sys.adminKey), 'the admin key was logged');
    assert.ok(!text.includes('sk_test_orderflow'), 'the provider secret key was logged');
    assert.ok(!text.includes('pm_card_'), 'a payment method was logged');
  });
});
