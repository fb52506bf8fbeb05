import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@orderflow/contracts';
import { createNatsBroker } from '../broker/nats-broker.ts';
import type { Broker } from '../broker/broker.ts';
import { createResilienceKit, type ResilienceKit } from './resilience-kit.ts';
import { resilientBroker } from './resilient-broker.ts';
import { startFaultProxy, type FaultProxy } from '../../../../test/support/fault-proxy.ts';
import { NATS_URL, deleteNatsPrefix, runId, until } from '../../../../test/support/distributed.ts';

// Real NATS JetStream behind the fault proxy: the outbox relay's publishes go through this wrapper.
const prefix = `of_${runId()}`;
const BUDGET_MS = 500;
const HALF_OPEN_MS = 500;

let proxy: FaultProxy;
let raw: Broker;
let broker: Broker;
let kit: ResilienceKit;
const received: string[] = [];
const policy = () => kit.stats().find((s) => s.dependency === 'broker')!;
const code = (e: unknown) => (e as { code?: string }).code;
const event = (id = randomUUID()): EventEnvelope => ({ id, type: 'OrderPlaced', version: 1, source: 'orders', subject: 'orders.OrderPlaced', key: id, occurredAt: new Date().toISOString(), data: {}, headers: {} });

before(async () => {
  const target = new URL(NATS_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 4222) });
  raw = await createNatsBroker({ url: `nats://127.0.0.1:${proxy.port}`, prefix, ackWaitMs: 2_000 });
  raw.subscribe({ consumer: 'watcher', subjects: ['orders.*'], handler: async (m) => void received.push(m.id) });
  await raw.start();
  kit = createResilienceKit({ broker: { timeoutMs: BUDGET_MS, breakerThreshold: 3, breakerHalfOpenMs: HALF_OPEN_MS } });
  broker = resilientBroker(raw, kit.policy('broker'));
});

after(async () => {
  proxy.heal();
  await raw.close(1_000).catch(() => undefined);
  await proxy.close();
  await deleteNatsPrefix(prefix);
});

test('publishes reach consumers through the wrapper', async () => {
  const e = event();
  await broker.publish([e]);
  await until(() => received.includes(e.id), 5_000, 'delivery');
});

test('a broker that stops answering: each publish ends at its budget, then the breaker refuses at once; after healing a republish is delivered once', async () => {
  proxy.set({ blackhole: true });
  const lost = [event(), event(), event()];
  const slow: number[] = [];
  for (const e of lost) {
    const t0 = performance.now();
    await assert.rejects(broker.publish([e]), (err) => code(err) === 'DEPENDENCY_TIMEOUT');
    slow.push(performance.now() - t0);
  }
  for (const ms of slow) assert.ok(ms < BUDGET_MS + 300, `within the budget: ${ms.toFixed(0)} ms`);
  assert.equal(policy().breaker, 'open');
  const t0 = performance.now();
  await assert.rejects(broker.publish([event()]), (err) => code(err) === 'DEPENDENCY_CIRCUIT_OPEN');
  const fastMs = performance.now() - t0;
  assert.ok(fastMs < 50, `open breaker: ${fastMs.toFixed(1)} ms`);
  console.log(`# nats blackholed: publishes end after ${slow.map((ms) => ms.toFixed(0)).join('/')} ms, then ${fastMs.toFixed(1)} ms with the breaker open`);

  proxy.heal();
  proxy.resetAll(); // the client reconnects
  await new Promise((r) => setTimeout(r, HALF_OPEN_MS + 50));
  // What the relay does: publish the same rows again until it works; the broker drops repeats by id.
  await until(async () => (await broker.publish(lost).then(() => true, () => false)), 15_000, 'publish after healing');
  await broker.publish(lost);
  await until(() => lost.every((e) => received.includes(e.id)), 10_000, 'the lost events delivered');
  await new Promise((r) => setTimeout(r, 300));
  for (const e of lost) assert.equal(received.filter((id) => id === e.id).length, 1, 'each delivered once');
  assert.equal(policy().breaker, 'closed');
});
