import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from './metrics.ts';
import { createEmbeddedBroker } from '../broker/embedded-broker.ts';
import { openSqliteDatabase } from '../db/sqlite.ts';
import { platformMigrations } from '../db/platform-migrations.ts';
import { createOutboxRelay } from '../outbox/relay.ts';
import { appendToOutbox } from '../outbox/outbox.ts';

async function value(text: Promise<string>, series: string): Promise<number | undefined> {
  const line = (await text).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('outbox, consumer lag, redeliveries and dead letters move with what happens, per service and consumer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-test-'));
  const m = createMetrics();
  const scrape = () => m.registry.metrics();
  const broker = createEmbeddedBroker({ file: join(dir, 'broker.db'), pollMs: 10, maxAttempts: 2, backoffBaseMs: 1, backoffCapMs: 5, onRedelivery: (c) => m.redelivery(c), onDeadLetter: (c) => m.deadLetter(c) });
  const db = await openSqliteDatabase({ file: join(dir, 'orders.db'), migrations: platformMigrations });
  const relay = createOutboxRelay({ db, broker, idlePollMs: 10, onPublished: (_n, events) => m.observePublished(events) });
  m.bindSources({ broker, relays: [{ service: 'orders', relay }] });
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  broker.subscribe({
    consumer: 'slowpoke',
    subjects: ['orders.*'],
    concurrency: 1,
    handler: async (msg) => {
      if ((msg.data as { poison?: boolean }).poison) throw Object.assign(new Error('always fails'), { retryable: true });
      await gate;
    },
  });
  try {
    assert.equal(await value(scrape(), 'orderflow_outbox_pending{service="orders"}'), 0);
    assert.equal(await value(scrape(), 'orderflow_consumer_lag_messages{consumer="slowpoke"}'), 0);
    assert.equal(await value(scrape(), 'orderflow_consumer_redeliveries_total{consumer="slowpoke"}'), 0);

    // Written but not relayed yet: pending rows and an oldest age.
    await db.transaction((trx) =>
      appendToOutbox(trx, [
        { type: 'OrderPlaced', key: 'o1', data: { orderId: 'o1', customerId: 'c', items: [], paymentMethod: 'pm' } as never },
        { type: 'OrderPlaced', key: 'o2', data: { orderId: 'o2', customerId: 'c', items: [], paymentMethod: 'pm' } as never },
        { type: 'OrderPlaced', key: 'o3', data: { poison: true } as never },
      ]),
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await value(scrape(), 'orderflow_outbox_pending{service="orders"}'), 3);
    assert.ok((await value(scrape(), 'orderflow_outbox_oldest_age_seconds{service="orders"}'))! > 0);

    // Relayed: the outbox empties, orders are counted by status, and the consumer lags behind its stuck handler.
    await broker.start();
    relay.start();
    await until(async () => (await value(scrape(), 'orderflow_outbox_pending{service="orders"}')) === 0);
    assert.equal(await value(scrape(), 'orderflow_outbox_oldest_age_seconds{service="orders"}'), 0);
    assert.equal(await value(scrape(), 'orderflow_orders_total{status="pending"}'), 3);
    await until(async () => ((await value(scrape(), 'orderflow_consumer_lag_messages{consumer="slowpoke"}')) ?? 0) >= 1);

    // The poison message fails, is redelivered once, then dead-lettered.
    release();
    await until(async () => (await value(scrape(), 'orderflow_dead_letters{consumer="slowpoke"}')) === 1);
    assert.equal(await value(scrape(), 'orderflow_consumer_redeliveries_total{consumer="slowpoke"}'), 1);
    assert.equal(await value(scrape(), 'orderflow_dead_letters_total{consumer="slowpoke"}'), 1);
    await until(async () => (await value(scrape(), 'orderflow_consumer_lag_messages{consumer="slowpoke"}')) === 0);
  } finally {
    m.bindSources(undefined);
    await relay.stop();
    await broker.close(1000);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('breaker, bulkhead and cache series exist at 0 and move through the small API', async () => {
  const m = createMetrics();
  const text = () => m.registry.metrics();
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="payment_provider"}'), 0);
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="smtp"}'), 0);
  assert.equal(await value(text(), 'orderflow_bulkhead_queue_length{bulkhead="payment_provider"}'), 0);
  assert.equal(await value(text(), 'orderflow_cache_hits_total{cache="orders"}'), 0);
  assert.equal(await value(text(), 'orderflow_cache_misses_total{cache="orders"}'), 0);
  m.setBreakerState('payment_provider', 'open');
  m.setBreakerState('smtp', 'half_open');
  m.setBulkheadQueue('payment_provider', 7);
  m.cacheHit('orders');
  m.cacheHit('orders');
  m.cacheMiss('orders');
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="payment_provider"}'), 2);
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="smtp"}'), 1);
  assert.equal(await value(text(), 'orderflow_bulkhead_queue_length{bulkhead="payment_provider"}'), 7);
  assert.equal(await value(text(), 'orderflow_cache_hits_total{cache="orders"}'), 2);
  assert.equal(await value(text(), 'orderflow_cache_misses_total{cache="orders"}'), 1);
  m.setBreakerState('payment_provider', 'closed');
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="payment_provider"}'), 0);
});

test('resilience events are counted per dependency and move the breaker gauge; the payment policy reports as payment_provider', async () => {
  const m = createMetrics();
  const text = () => m.registry.metrics();
  assert.equal(await value(text(), 'orderflow_resilience_events_total{dependency="broker",event="timeout"}'), 0);
  m.resilienceEvent({ dependency: 'payment', type: 'breaker_state', state: 'open' });
  m.resilienceEvent({ dependency: 'payment', type: 'circuit_rejected' });
  m.resilienceEvent({ dependency: 'redis', type: 'timeout' });
  m.resilienceEvent({ dependency: 'redis', type: 'timeout' });
  m.resilienceEvent({ dependency: 'postgres', type: 'retry', attempt: 1, delayMs: 10, error: new Error('x') });
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="payment_provider"}'), 2);
  assert.equal(await value(text(), 'orderflow_resilience_events_total{dependency="payment_provider",event="breaker_opened"}'), 1);
  assert.equal(await value(text(), 'orderflow_resilience_events_total{dependency="payment_provider",event="circuit_rejected"}'), 1);
  assert.equal(await value(text(), 'orderflow_resilience_events_total{dependency="redis",event="timeout"}'), 2);
  assert.equal(await value(text(), 'orderflow_resilience_events_total{dependency="postgres",event="retry"}'), 1);
  m.resilienceEvent({ dependency: 'payment', type: 'breaker_state', state: 'half_open' });
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="payment_provider"}'), 1);
  m.resilienceEvent({ dependency: 'payment', type: 'breaker_state', state: 'closed' });
  assert.equal(await value(text(), 'orderflow_circuit_breaker_state{dependency="payment_provider"}'), 0);
  assert.equal(await value(text(), 'orderflow_resilience_events_total{dependency="payment_provider",event="breaker_closed"}'), 1);
});

test('HTTP durations land in the histogram by route, method and status, and in the live series', async () => {
  const m = createMetrics();
  m.observeRequest('/v1/orders', 'POST', 202, 0.004);
  m.observeRequest('/v1/orders', 'POST', 202, 0.2);
  const text = await m.registry.metrics();
  assert.match(text, /http_request_duration_seconds_count\{route="\/v1\/orders",method="POST",status="202"\} 2/);
  assert.match(text, /http_request_duration_seconds_bucket\{le="0.005",route="\/v1\/orders",method="POST",status="202"\} 1/);
  assert.match(text, /nodejs_eventloop_lag_p99_seconds/);
});
