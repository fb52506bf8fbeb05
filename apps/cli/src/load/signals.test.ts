import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byLabel, parsePrometheus, valueOf } from './prometheus.ts';
import { isSettled, snapshotOf, stepSignals } from './signals.ts';

const metrics = (cpu: number, lag: number, age: number, loop: number, breaker = 0) => `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total ${cpu}
process_resident_memory_bytes ${150 * 2 ** 20 + lag * 1024}
nodejs_heap_size_used_bytes 52428800
nodejs_eventloop_lag_p99_seconds ${loop}
orderflow_outbox_pending{service="orders"} ${lag > 0 ? 3 : 0}
orderflow_outbox_pending{service="inventory"} 0
orderflow_outbox_oldest_age_seconds{service="orders"} ${age}
orderflow_consumer_lag_messages{consumer="inventory"} ${lag}
orderflow_consumer_lag_messages{consumer="payments"} ${Math.floor(lag / 2)}
orderflow_circuit_breaker_state{dependency="payment_provider"} ${breaker}
orderflow_bulkhead_queue_length{bulkhead="payment_provider"} 0
orderflow_http_requests_in_flight 7
http_request_duration_seconds_bucket{le="+Inf",route="/v1/orders",method="POST",status="202"} 12
weird_label{path="a \\"quoted\\" \\\\ value"} 1
`;

test('the Prometheus text format parses into samples with labels', () => {
  const s = parsePrometheus(metrics(1.5, 10, 0.2, 0.01));
  assert.equal(valueOf(s, 'process_cpu_seconds_total'), 1.5);
  assert.deepEqual(byLabel(s, 'orderflow_consumer_lag_messages', 'consumer'), { inventory: 10, payments: 5 });
  assert.equal(valueOf(s, 'http_request_duration_seconds_bucket', { le: '+Inf', status: '202' }), 12);
  assert.equal(valueOf(s, 'weird_label', { path: 'a "quoted" \\ value' }), 1);
  assert.equal(valueOf(s, 'absent'), undefined);
});

test('a step folds its scrapes: CPU as cores over the step, worst lag and age, breakers not closed', () => {
  const scrapes = [snapshotOf(metrics(10, 0, 0, 0.5), 0), snapshotOf(metrics(10.9, 40, 0.3, 0.02), 1000), snapshotOf(metrics(11.8, 120, 1.4, 0.03, 2), 2000)];
  const sig = stepSignals(scrapes, { start: { busy: 100, total: 400 }, end: { busy: 250, total: 600 } });
  assert.ok(Math.abs(sig.processCpuCores! - 0.9) < 1e-9);
  assert.equal(sig.machineCpuBusy, 0.75);
  // the first scrape's event-loop figure covers the time before the step and is left out
  assert.equal(sig.eventLoopDelayP99Ms, 30);
  assert.equal(sig.consumerLag, 120);
  assert.equal(sig.consumerLagConsumer, 'inventory');
  assert.equal(sig.consumerLagGrowth, 120);
  assert.equal(sig.outboxAgeS, 1.4);
  assert.equal(sig.outboxAgeService, 'orders');
  assert.deepEqual(sig.breakersNotClosed, ['payment_provider']);
  assert.equal(sig.httpInFlightMax, 7);
  assert.ok(Math.abs(sig.rssMb! - (150 + 120 / 1024)) < 1e-9);
  assert.equal(isSettled(scrapes[0]!), true);
  assert.equal(isSettled(scrapes[2]!), false);
});
