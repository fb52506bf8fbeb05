import { isMainThread } from 'node:worker_threads';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventEnvelope } from '@orderflow/contracts';
import type { Broker } from '../broker/broker.ts';
import type { OutboxRelay } from '../outbox/relay.ts';
import type { ResilienceEvent } from '../resilience/events.ts';
import { createRecentRequests, type RecentRequests } from './recent-requests.ts';

/** Circuit breaker states as the gauge reports them: 0 closed, 1 half-open, 2 open. */
export type BreakerState = 'closed' | 'half_open' | 'open';
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Dependencies and caches whose series exist (at 0) before anything reports on them. */
export const KNOWN_DEPENDENCIES = ['payment_provider', 'smtp', 'broker'] as const;

/** The metric label of a resilience-kit dependency: the payment policy reports as `payment_provider`, as its spans do. */
const METRIC_DEPENDENCY: Record<string, string> = { payment: 'payment_provider' };
const dependencyLabel = (dependency: string) => METRIC_DEPENDENCY[dependency] ?? dependency;

/** What `orderflow_resilience_events_total` counts per dependency. */
const RESILIENCE_EVENTS = ['retry', 'give_up', 'timeout', 'bulkhead_rejected', 'circuit_rejected', 'breaker_opened', 'breaker_half_opened', 'breaker_closed'] as const;
export const KNOWN_CACHES = ['orders', 'products'] as const;

/** Order status reached, as the events the orders service publishes tell it. */
const STATUS_OF_EVENT: Record<string, string> = {
  OrderPlaced: 'pending',
  PaymentRequested: 'awaiting_payment',
  OrderConfirmed: 'confirmed',
  OrderCancelled: 'cancelled',
};

/** What the scrape-time gauges read: the broker and each service's outbox relay. */
export interface MetricSources {
  /** Absent on a split system's edge: the pipeline reports the consumers. */
  broker?: Broker;
  relays: ReadonlyArray<{ service: string; relay: OutboxRelay }>;
  /** The resilience kit's policies: their bulkhead queues are read at scrape time. */
  resilience?: { stats(): ReadonlyArray<{ dependency: string; queued: number }> };
}

/**
 * The process's metrics, served at `/metrics`. Resilience code (breakers, bulkheads, caches)
 * reports through the small methods here instead of touching prom-client.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly recent: RecentRequests;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** A request entered the HTTP edge (+1) or its response closed (-1): `orderflow_http_requests_in_flight`. */
  requestInFlight(delta: 1 | -1): void;
  /** Counts orders reaching a status from the events the relay published. */
  observePublished(events: readonly EventEnvelope[]): void;
  redelivery(consumer: string): void;
  deadLetter(consumer: string): void;
  setBreakerState(dependency: string, state: BreakerState): void;
  setBulkheadQueue(bulkhead: string, queued: number): void;
  /** Counts a resilience-kit event (retries, timeouts, rejections, breaker changes) and keeps the breaker gauge current. */
  resilienceEvent(event: ResilienceEvent): void;
  cacheHit(cache: string): void;
  cacheMiss(cache: string): void;
  /** The runtime binds its broker and relays; gauges read them at scrape time. */
  bindSources(sources: MetricSources | undefined): void;
  /** Orders by status so far (for the dashboard). */
  ordersByStatus(): Promise<Record<string, number>>;
  /** Another thread's metrics (a split embedded system's pipeline), merged into every read below. */
  addPeer(peer: () => Promise<MetricsSnapshot>): void;
  /** This registry's metrics merged with its peers' (counters summed, breaker states by the worst). */
  snapshot(): Promise<MetricsSnapshot>;
  /** `snapshot()` in the Prometheus text format: what `/metrics` serves. */
  text(): Promise<string>;
}

/** Metrics as JSON, as one registry reports them and another thread can receive them. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * `processDefaults`: the Node and process metrics (`nodejs_*`, `process_*`); default only on the main
 * thread, since a worker thread's would count the same process twice.
 */
export function createMetrics(opts: { processDefaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.processDefaults ?? isMainThread) collectDefaultMetrics({ register: registry });

  // prom-client names these gauges *_total, which promtool rejects; the per-type nodejs_active_* gauges stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  let sources: MetricSources | undefined;
  const recent = createRecentRequests();

  const http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'orderflow_http_requests_in_flight', help: 'Requests the HTTP edge has received and not yet answered (queueing shows here).', registers: [registry] });
  const orders = new Counter({ name: 'orderflow_orders_total', help: 'Orders that reached a status.', labelNames: ['status'] as const, registers: [registry] });
  for (const s of Object.values(STATUS_OF_EVENT)) orders.inc({ status: s }, 0);

  const stats = async () => (sources?.broker ? sources.broker.stats() : []);
  const peers: Array<() => Promise<MetricsSnapshot>> = [];
  const merged = async () => {
    const local = await registry.getMetricsAsJSON();
    if (peers.length === 0) return undefined;
    // A peer that does not answer (stopping, or gone) costs its series, never the scrape.
    const others = await Promise.all(peers.map((p) => p().catch(() => [] as MetricsSnapshot)));
    return AggregatorRegistry.aggregate([local, ...others]);
  };
  const outbox = async () => (sources ? Promise.all(sources.relays.map(async (r) => ({ service: r.service, ...(await r.relay.pending()) }))) : []);

  new Gauge({
    name: 'orderflow_outbox_pending',
    help: 'Outbox rows written but not yet published, per service.',
    labelNames: ['service'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const o of await outbox()) this.set({ service: o.service }, o.count);
    },
  });
  new Gauge({
    name: 'orderflow_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished outbox row, per service (0 when empty).',
    labelNames: ['service'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const o of await outbox()) this.set({ service: o.service }, o.oldestAgeMs / 1000);
    },
  });
  const perConsumer = (name: string, help: string, pick: (s: Awaited<ReturnType<Broker['stats']>>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['consumer'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await stats()) this.set({ consumer: s.consumer }, pick(s));
      },
    });
  perConsumer('orderflow_consumer_lag_messages', 'Messages waiting to be delivered to a consumer.', (s) => s.pending);
  perConsumer('orderflow_consumer_in_flight_messages', 'Messages being handled by a consumer now.', (s) => s.inFlight);
  perConsumer('orderflow_dead_letters', 'Dead letters waiting for a replay, per consumer.', (s) => s.dead);
  // Every known consumer gets its series at 0 before its first event.
  async function zeroPerConsumer(this: Counter<'consumer'>) {
    for (const s of await stats()) this.inc({ consumer: s.consumer }, 0);
  }
  const redeliveries = new Counter({ name: 'orderflow_consumer_redeliveries_total', help: 'Failed deliveries scheduled for another attempt, per consumer.', labelNames: ['consumer'] as const, registers: [registry], collect: zeroPerConsumer });
  const deadLetters = new Counter({ name: 'orderflow_dead_letters_total', help: 'Messages moved to dead letters, per consumer.', labelNames: ['consumer'] as const, registers: [registry], collect: zeroPerConsumer });

  const breaker = new Gauge({ name: 'orderflow_circuit_breaker_state', help: 'Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open.', labelNames: ['dependency'] as const, registers: [registry], aggregator: 'max' });
  const bulkhead = new Gauge({
    name: 'orderflow_bulkhead_queue_length',
    help: 'Calls waiting for a bulkhead slot, per bulkhead.',
    labelNames: ['bulkhead'] as const,
    registers: [registry],
    collect() {
      for (const d of sources?.resilience?.stats() ?? []) this.set({ bulkhead: dependencyLabel(d.dependency) }, d.queued);
    },
  });
  const resilience = new Counter({
    name: 'orderflow_resilience_events_total',
    help: 'Resilience-kit events per dependency: retry, give_up, timeout, bulkhead_rejected, circuit_rejected, breaker_opened, breaker_half_opened, breaker_closed.',
    labelNames: ['dependency', 'event'] as const,
    registers: [registry],
  });
  for (const d of KNOWN_DEPENDENCIES) {
    breaker.set({ dependency: d }, 0);
    bulkhead.set({ bulkhead: d }, 0);
    for (const event of RESILIENCE_EVENTS) resilience.inc({ dependency: d, event }, 0);
  }
  const hits = new Counter({ name: 'orderflow_cache_hits_total', help: 'Cache lookups answered from the cache.', labelNames: ['cache'] as const, registers: [registry] });
  const misses = new Counter({ name: 'orderflow_cache_misses_total', help: 'Cache lookups that went to the source.', labelNames: ['cache'] as const, registers: [registry] });
  for (const c of KNOWN_CACHES) {
    hits.inc({ cache: c }, 0);
    misses.inc({ cache: c }, 0);
  }

  return {
    registry,
    recent,
    observeRequest(route, method, status, seconds) {
      http.observe({ route, method, status: String(status) }, seconds);
      recent.record(seconds * 1000);
    },
    requestInFlight: (delta) => inFlight.inc(delta),
    observePublished(events) {
      for (const e of events) {
        const status = STATUS_OF_EVENT[e.type];
        if (status) orders.inc({ status });
      }
    },
    redelivery: (consumer) => redeliveries.inc({ consumer }),
    deadLetter: (consumer) => deadLetters.inc({ consumer }),
    setBreakerState: (dependency, state) => breaker.set({ dependency }, BREAKER_VALUE[state]),
    setBulkheadQueue: (name, queued) => bulkhead.set({ bulkhead: name }, queued),
    resilienceEvent(e) {
      const dependency = dependencyLabel(e.dependency);
      if (e.type !== 'breaker_state') {
        resilience.inc({ dependency, event: e.type });
        return;
      }
      const state = e.state === 'isolated' ? 'open' : e.state;
      breaker.set({ dependency }, BREAKER_VALUE[state]);
      resilience.inc({ dependency, event: state === 'open' ? 'breaker_opened' : state === 'half_open' ? 'breaker_half_opened' : 'breaker_closed' });
    },
    cacheHit: (cache) => hits.inc({ cache }),
    cacheMiss: (cache) => misses.inc({ cache }),
    bindSources(s) {
      sources = s;
    },
    async ordersByStatus() {
      const m = (await this.snapshot()).find((x) => x.name === 'orderflow_orders_total');
      return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels.status), v.value]));
    },
    addPeer(peer) {
      peers.push(peer);
    },
    async snapshot() {
      const all = await merged();
      return all ? all.getMetricsAsJSON() : registry.getMetricsAsJSON();
    },
    async text() {
      const all = await merged();
      return all ? all.metrics() : registry.metrics();
    },
  };
}

let processWide: Metrics | undefined;

/**
 * The metrics of this process (one `/metrics` per process, as Prometheus expects): created on
 * first use. Circuit breakers, bulkheads and caches call `processMetrics().setBreakerState(...)`,
 * `.setBulkheadQueue(...)`, `.cacheHit(...)`/`.cacheMiss(...)`.
 */
export function processMetrics(): Metrics {
  return (processWide ??= createMetrics());
}
